"""Product identity ("同一产品"): two samples are the same product when they share the producer,
the standard (执行标准), the trademark (商标) and the specification/model (规格型号).

The parts are typed by hand from labels and licences, so each is normalised before comparing:
two spellings of one model ("ＡＢＣ－１２", "abc - 12", "ABC-12") must be one product, otherwise
repeat-failure and blacklist rules could be dodged by retyping a model.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from service.errors import InvalidInput

# Separates the parts of `ProductIdentity.key`. It cannot occur inside a normalised part because
# Python counts it as whitespace, which `normalise_part` collapses to a space.
KEY_SEPARATOR = "\x1f"

# NFKC already maps U+2011, U+FE58, U+FE63 and U+FF0D onto these or onto ASCII '-'. Katakana
# U+30FC looks like a dash but is a letter of product names, so it is kept.
_DASHES = str.maketrans(dict.fromkeys("\u2010\u2012\u2013\u2014\u2015\u2212", "-"))
_ASCII_UPPER = str.maketrans("abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_SPACE_AROUND_DASH = re.compile(r" ?- ?")


class ProductIdentityError(InvalidInput):
    """An identity that cannot name a product (a blank model)."""


def normalise_part(text: str | None) -> str:
    """Canonical spelling of one identity part; None and blank give ""."""
    if text is None:
        return ""
    folded = unicodedata.normalize("NFKC", text).translate(_DASHES)
    collapsed = " ".join(folded.split())
    # Only ASCII letters: Greek symbols in specifications (φ for diameter, μ for micro) keep
    # their case, and str.upper() would also expand 'ß' into two letters.
    return _SPACE_AROUND_DASH.sub("-", collapsed).translate(_ASCII_UPPER)


@dataclass(frozen=True)
class ProductIdentity:
    """The normalised standard, brand and model; the producer's USCC is kept alongside it."""

    standard: str
    brand: str
    model: str

    @property
    def key(self) -> str:
        """`standard␟brand␟model` joined with U+001F; with the producer's USCC it is unique."""
        return KEY_SEPARATOR.join((self.standard, self.brand, self.model))


def product_identity(*, standard: str | None, brand: str | None, model: str) -> ProductIdentity:
    """Normalise the parts; a missing standard or brand is "", a missing model is an error."""
    normalised_model = normalise_part(model)
    if not normalised_model:
        raise ProductIdentityError(
            "product.model_required", "the specification/model (规格型号) must not be blank"
        )
    return ProductIdentity(
        standard=normalise_part(standard),
        brand=normalise_part(brand),
        model=normalised_model,
    )

"""The verifiable double-random draw (双随机): pure algorithm, canonical documents, verifier.

Import-light on purpose: this package needs only the standard library and
:mod:`service.canonical`, so an outsider can verify an exported draw with
``python -m service.draw verify FILE`` without the database or web stack. The public API is
:mod:`service.draw.algorithm`; the specification is ``docs/draw-algorithm.md``.
Modules of this package that need the database (the runner that builds pools and stores draws)
are not imported here and must stay that way.
"""

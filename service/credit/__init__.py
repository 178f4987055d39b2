"""Quality-credit files (质量信用档案, rules §8): credit events from sampling (projected from the
event log) and from departments, the versioned score model and internal risk class (pure cores:
`score`, `risk`), recorded score snapshots with as-of reads, credit objections and the printable
report. Module map:

- `config`      weights, risk windows, publication periods (QCS_CREDIT_…)
- `score`, `risk`  the pure, versioned models
- `ledger`      writing credit events (publication period, idempotent insert, audit)
- `projection`  sampling events from the domain event log, same transaction
- `events`      department posts and who may post what
- `standing`    recomputation, snapshots, the risk class on the enterprise, `is_listed`
- `file`, `deadlines`  the views
- `objections`  信用异议
- `report_pdf`  the PDF
"""

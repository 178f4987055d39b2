"""Pass-rate statistics (合格率 / 不合格发现率, rules §7): the rollup maintained as results become
final (`rollup`), its grains (`grains`), the Wilson interval (`wilson`), input parsing
(`params`), grouped pass rates (`query`), CSV export (`export`) and regional rankings
(`rankings`)."""

from service.stats.rollup import RebuildReport, rebuild, record_final, settle

__all__ = ["RebuildReport", "rebuild", "record_final", "settle"]

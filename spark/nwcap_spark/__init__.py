"""nwcap on Apache Spark: captures of many VMs analysed as one dataset.

One Spark task per capture source (a VM or a scale-set instance) runs
``nwcap flows --dataset`` over the source's files; the dataset is read back
as one flow DataFrame, and the fleet queries (:mod:`nwcap_spark.queries`)
run on it as Spark SQL. See ``spark/README.md``.
"""

from .job import DEFAULT_PARTITIONS, FleetRun, SourceResult, plan, read_dataset, run_fleet
from .queries import conn_state_mix, per_source, register, seen_twice, top_talkers

__all__ = [
    "DEFAULT_PARTITIONS",
    "FleetRun",
    "SourceResult",
    "conn_state_mix",
    "per_source",
    "plan",
    "read_dataset",
    "register",
    "run_fleet",
    "seen_twice",
    "top_talkers",
]

"""Fleet queries in Spark SQL over the flow table (registered as the view
``flows``, with a ``source`` column). Bytes and packets are wire bytes and
packets of both directions, as ``nwcap top`` counts them; a conversation
captured at both ends is counted once per source that saw it."""

from __future__ import annotations

#: Per address, as originator or responder (a flow whose two ends are the
#: same address counts once): ``nwcap top --by talkers`` summed over the
#: fleet, in its order (bytes, packets, flows descending, then address).
TOP_TALKERS = """
WITH ends AS (
  SELECT orig_h AS addr, orig_pkts + resp_pkts AS pkts,
         orig_wire_bytes + resp_wire_bytes AS bytes,
         orig_wire_bytes AS tx_bytes, resp_wire_bytes AS rx_bytes
  FROM flows
  UNION ALL
  SELECT resp_h, orig_pkts + resp_pkts, orig_wire_bytes + resp_wire_bytes,
         resp_wire_bytes, orig_wire_bytes
  FROM flows WHERE NOT (resp_h <=> orig_h)
)
SELECT addr, count(*) AS flows, sum(pkts) AS pkts, sum(bytes) AS bytes,
       sum(tx_bytes) AS tx_bytes, sum(rx_bytes) AS rx_bytes
FROM ends GROUP BY addr
ORDER BY bytes DESC, pkts DESC, flows DESC, addr ASC
LIMIT {n}
"""

#: Flows, packets and bytes per source, with its time span.
PER_SOURCE = """
SELECT source, count(*) AS flows, sum(orig_pkts + resp_pkts) AS pkts,
       sum(orig_wire_bytes + resp_wire_bytes) AS bytes,
       min(ts) AS first_ts, max(last_ts) AS last_ts
FROM flows GROUP BY source ORDER BY bytes DESC, source ASC
"""

#: Zeek's conn_state mix per source: flows per state and their share.
CONN_STATE_MIX = """
SELECT source, conn_state, count(*) AS flows,
       round(count(*) / sum(count(*)) OVER (PARTITION BY source), 4) AS share
FROM flows GROUP BY source, conn_state
ORDER BY source ASC, flows DESC, conn_state ASC
"""

#: One conversation seen from two sources (captured at both ends): pairs
#: of rows with the same Community ID whose times overlap, with the clock
#: skew between the two captures and what each end counted.
SEEN_TWICE = """
SELECT a.community_id, a.proto, a.orig_h, a.orig_p, a.resp_h, a.resp_p,
       a.source AS source_a, b.source AS source_b, a.uid AS uid_a, b.uid AS uid_b,
       (unix_micros(b.ts) - unix_micros(a.ts)) / 1e6 AS skew_s,
       a.orig_pkts + a.resp_pkts AS pkts_a, b.orig_pkts + b.resp_pkts AS pkts_b,
       a.conn_state AS conn_state_a, b.conn_state AS conn_state_b
FROM flows a JOIN flows b
  ON a.community_id = b.community_id AND a.source < b.source
 AND a.ts <= b.last_ts AND b.ts <= a.last_ts
ORDER BY a.community_id, source_a, source_b, a.ts
"""


def register(df, name: str = "flows"):
    """Registers ``df`` as the view the queries read."""
    df.createOrReplaceTempView(name)
    return df


def top_talkers(spark, n: int = 10):
    """The fleet's top ``n`` talkers (see :data:`TOP_TALKERS`)."""
    return spark.sql(TOP_TALKERS.format(n=int(n)))


def per_source(spark):
    """Flows, packets and bytes per source (see :data:`PER_SOURCE`)."""
    return spark.sql(PER_SOURCE)


def conn_state_mix(spark):
    """conn_state mix per source (see :data:`CONN_STATE_MIX`)."""
    return spark.sql(CONN_STATE_MIX)


def seen_twice(spark):
    """Conversations seen from two sources (see :data:`SEEN_TWICE`)."""
    return spark.sql(SEEN_TWICE)


#: The queries by name, as the command line offers them.
ALL = {
    "top-talkers": top_talkers,
    "per-source": per_source,
    "conn-state": conn_state_mix,
    "seen-twice": seen_twice,
}

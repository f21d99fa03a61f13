"""Data bigger than memory: sufficient statistics accumulated chunk by chunk (issue 20, in progress).

:mod:`bayeslme.bigdata.rawstats` holds the sums that add across chunks and
their exact centring; :mod:`bayeslme.bigdata.parquet` reads Parquet files
with DuckDB, decides the encoding state (levels) in a first pass and
accumulates the statistics over record batches.
"""

"""Independent readers for the JS tests: reads Parquet files written by the WebAssembly build with
pyarrow and DuckDB and compares each with the Arrow IPC stream of the same table.

stdin: JSON list of {"table", "parquet": path, "ipc": path or null}.
stdout: JSON {table: {"rows", "duckdb_rows", "codec", "equal_ipc", "transaction_ids",
"timestamp_type", "created_by"}}. 64-bit IDs are printed as strings, so they stay exact.
"""

import json
import sys

import duckdb
import pyarrow as pa
import pyarrow.ipc
import pyarrow.parquet as pq


def main() -> None:
    report = {}
    for item in json.load(sys.stdin):
        path = item["parquet"]
        meta = pq.ParquetFile(path).metadata
        table = pq.read_table(path)
        out = {
            "rows": table.num_rows,
            "codec": meta.row_group(0).column(0).compression if meta.num_row_groups else None,
            "created_by": meta.created_by,
            "timestamp_type": str(table.schema.field("timestamp").type)
            if "timestamp" in table.schema.names
            else None,
        }
        if "transaction_id" in table.schema.names:
            out["transaction_ids"] = [
                None if v is None else str(v) for v in table.column("transaction_id").to_pylist()
            ]
        if item.get("ipc"):
            with pa.ipc.open_stream(item["ipc"]) as reader:
                ipc = reader.read_all()
            out["equal_ipc"] = table.equals(ipc, check_metadata=False)
            out["equal_schema"] = table.schema.equals(ipc.schema, check_metadata=False)
        con = duckdb.connect()
        out["duckdb_rows"] = con.execute(
            "SELECT count(*) FROM read_parquet(?)", [path]
        ).fetchone()[0]
        if "transaction_id" in table.schema.names:
            out["duckdb_transaction_ids"] = [
                None if r[0] is None else str(r[0])
                for r in con.execute(
                    "SELECT transaction_id FROM read_parquet(?)", [path]
                ).fetchall()
            ]
        report[item["table"]] = out
    json.dump(report, sys.stdout)


if __name__ == "__main__":
    main()

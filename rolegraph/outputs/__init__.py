"""What a finished run becomes: run-dir reader, records, exports, eval, metrics, report."""

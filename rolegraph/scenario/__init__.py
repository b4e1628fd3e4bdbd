"""The scenario file: its schema, the graph wiring section, YAML read with line numbers."""

"""SQL the API runs, one module per table family. Every statement is parameterized (`%s`)."""

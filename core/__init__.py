"""The core every layer stands on: spans and diagnostics, the registry of error codes, did-you-mean,
input limits, dates, located YAML reading and the repository's data and cache paths. It imports no
other tailor package."""

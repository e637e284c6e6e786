"""B1xx (books and batches), L1xx (the decision log) and H1xx (the HTTP service and the API's schemas)."""

from core.error_codes.entry import ErrorCode, Family

BOOK = Family("B1", "Books and batches", (
    "Reading a book (`tailor batch BOOK`: a CSV or Parquet table with one row per account, docs/batch.md) "
    "and running it. Every problem of the table is located (file, line, column) and reported together "
    "before anything runs. An account that fails while the batch runs is reported with its own code "
    "(A…, P…, S…) in the book summary, and the other accounts go on."), (
    ErrorCode(
        "B101", "Book cannot be read",
        "The book is missing, is not a regular file, is larger than 50 MB, is not UTF-8 text (CSV) or is "
        "a Parquet file pyarrow cannot read, or its type is neither .csv nor .parquet.",
        "Check the path; save the table as CSV UTF-8 or Parquet."),
    ErrorCode(
        "B102", "Unknown column in the book",
        "The book has a column tailor does not read. It is refused, never ignored: it could hold a "
        "setting you expect to apply to the account.",
        "Rename the column (the hint suggests the closest one) or remove it. Columns: id, account, "
        "policy, as_of, market, target."),
    ErrorCode(
        "B103", "Missing column or value in the book",
        "The book has no `account` or `policy` column, names a column twice, or a row leaves the "
        "account or the policy empty.",
        "Add the column, or fill in the cell."),
    ErrorCode(
        "B104", "Invalid value in the book",
        "A cell cannot be read: an `as_of` that is not a date (YYYY-MM-DD), an `id` that cannot name a "
        "folder (empty, `.`/`..`, a slash, a control character, over 100 characters), a path with a "
        "control character, or more cells than columns.",
        "Correct the cell; ids are letters, digits, `-`, `_` and `.`."),
    ErrorCode(
        "B105", "Two rows for one account",
        "Two rows of the book have the same account id (the `id` column, or else the account file's "
        "folder name), so their outputs would land in the same folder.",
        "Give each row its own `id`, or remove the duplicate row."),
    ErrorCode(
        "B106", "Book without accounts",
        "The book has a header but no rows.",
        "Add one row per account under the header."),
    ErrorCode(
        "B107", "The worker running this account died",
        "The process running this account stopped (killed, out of memory, crashed) every time it was "
        "tried (3 times). The other accounts of the batch are not affected.",
        "Rebalance the account alone with `tailor rebalance` to see where it stops, and report it; "
        "check the machine's memory."),
    ErrorCode(
        "B108", "Invalid batch option",
        "`--workers` is below 1, `--scheduler` is not an address of the form tcp://HOST:PORT, or "
        "--workers and --scheduler are given together.",
        "Give a positive number of workers, or the scheduler's address (as `dask scheduler` prints it)."),
    ErrorCode(
        "B109", "Scheduler cannot be reached",
        "No Dask scheduler answered at the `--scheduler` address in time, or it has no workers.",
        "Start one (`dask scheduler`, then `dask worker tcp://HOST:PORT --nthreads 1` on each machine) "
        "and check the address and the firewall."),
    ErrorCode(
        "B110", "Internal error on this account",
        "Rebalancing this account raised an unexpected error: a bug in tailor, not a problem in the "
        "input. The other accounts of the batch are not affected.",
        "Rebalance the account alone with `tailor rebalance` and TAILOR_DEBUG=1 to see the traceback, "
        "and please report it."),
    ErrorCode(
        "B111", "The policy does not extend the model",
        "`tailor diff --policy P OLD NEW` compares what a model change means for the account policy P, "
        "but neither OLD nor NEW is one of P's layers (P and every policy it extends).",
        "Name the model file that P extends (directly or through other layers), as OLD or NEW."),
))

DECISION_LOG = Family("L1", "Decision log", (
    "The decision log: the database in which every rebalance, explanation and batch records its "
    "decisions (docs/batch.md, \"Decision log\"), and `tailor log`'s questions to it."), (
    ErrorCode(
        "L101", "Decision log cannot be opened",
        "The decision log's URL (`--decision-log` or TAILOR_DECISION_LOG) is not a database URL "
        "SQLAlchemy knows, names a driver that is not installed, or the database cannot be reached or "
        "written.",
        "Give a URL such as sqlite:///path/decisions.db or postgresql+psycopg://user@host/db (with its "
        "driver installed), or a file path for SQLite."),
    ErrorCode(
        "L102", "Decision log of another version",
        "The database holds a decision log written by another version of its schema, which this "
        "tailor does not read or append to.",
        "Use the tailor version that wrote it, or start a new log with another --decision-log."),
    ErrorCode(
        "L103", "Nothing in the decision log matches",
        "`tailor log` found no run, decision or account matching the question (an unknown run id, an "
        "account with fewer than two runs to compare, a decision id that does not exist).",
        "Check the id or hash (prefixes of 8 or more characters are accepted); `tailor log runs` lists "
        "what the log holds."),
))

SERVICE = Family("H1", "HTTP service and schemas", (
    "`tailor serve`: requests to the HTTP service (docs/service.md). Its answers to bad requests carry "
    "these codes, or the codes the CLI gives for the same input (P…, A…, D…, S…), in the JSON body "
    "`tailor.error/1`; and `tailor schemas`."), (
    ErrorCode(
        "H101", "Request too large",
        "The request's body is larger than the service's limit (`--max-body`, 10 MB by default).",
        "Send fewer or smaller files, or start the service with a larger --max-body."),
    ErrorCode(
        "H102", "Request took too long",
        "The request did not finish within the service's time limit (`--time-limit`). A rebalance is "
        "given at most that long to solve.",
        "Start a batch job (POST /v1/jobs) for long work, or raise the service's --time-limit."),
    ErrorCode(
        "H103", "Not authorised",
        "The service was started with a bearer token, and the request has no `Authorization: Bearer` "
        "header or another token.",
        "Send the header `Authorization: Bearer <token>` with the token the service was started with."),
    ErrorCode(
        "H104", "Request does not match the schema",
        "The request's body is not JSON, or a field is missing, unknown or of the wrong type; the "
        "message names the field by its path in the body.",
        "Follow the service's OpenAPI schema (GET /openapi.json, docs/service.md)."),
    ErrorCode(
        "H105", "No such job or account",
        "The request names a batch job or an account of a job that the service does not have (jobs "
        "are kept in memory while the service runs).",
        "Use the id returned by POST /v1/jobs, and an account id of its book."),
    ErrorCode(
        "H106", "Unsafe file name in the request",
        "A file sent in the request is named with a folder outside the request (`..`, an absolute "
        "path), an empty or over-long name, or a control character; or a policy named in the service's "
        "library is outside it or missing.",
        "Name files plainly (`lots.csv`, `sub/model.csv`) and policies by their path in the library."),
    ErrorCode(
        "H107", "Unknown schema",
        "`tailor schemas` was given a name that is not one of tailor's published schemas.",
        "Use a name `tailor schemas` lists, such as tailor.result/1."),
))

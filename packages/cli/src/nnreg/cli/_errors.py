"""The errors a command reports in one line, each carrying the process exit code it means.

The exit-code policy of every ``nnreg`` command lives here; the entry point converts every
exception a user can cause into one of these codes, and nowhere else does.
"""

EXIT_SUCCESS = 0
EXIT_FAILED = 1  # the run itself failed: it diverged, or nothing was learned
EXIT_USAGE = 2  # a bad command line or a bad input file
EXIT_INTERRUPTED = 130  # Ctrl-C, the shell's 128 + SIGINT
EXIT_TERMINATED = 143  # SIGTERM (kill, timeout) to the console script: 128 + SIGTERM

EXIT_CODES_HELP = (
    "exit codes: 0 success; 1 the run itself failed (every compared method diverged, the fit "
    "diverged, every sweep member diverged, or a result could not be written); 2 bad command "
    "line or bad input file; 130 interrupted (Ctrl-C); 143 terminated (SIGTERM)"
)


class CommandError(Exception):
    """A problem to report to the user in one line, without a traceback."""

    exit_code = EXIT_FAILED


class UsageError(CommandError):
    """The command line asks for something impossible; reported with the command's usage."""

    exit_code = EXIT_USAGE


class InputError(CommandError):
    """An input file, or a place to write to, is unusable; found before any training."""

    exit_code = EXIT_USAGE


class RunFailed(CommandError):
    """Training ran and failed, or its results could not be written."""

    exit_code = EXIT_FAILED

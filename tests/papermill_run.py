"""A notebook run as ``papermill NOTEBOOK OUT -p NAME VALUE ...`` does, in the test process: a failing cell raises
PapermillExecutionError. The kernel's replies are waited for in slices (tests/conftest.py), so a lost wake-up
cannot stall a cell."""
from pathlib import Path


def papermill_run(out: Path, notebook: Path, **parameters) -> None:
    import papermill

    papermill.execute_notebook(str(notebook), str(out), parameters=parameters, kernel_name="python3",
                               cwd=str(notebook.parent), progress_bar=False, execution_timeout=120)

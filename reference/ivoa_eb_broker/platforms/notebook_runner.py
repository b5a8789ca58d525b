"""Run a Jupyter notebook top to bottom, headless: the IVOA ExecutionBroker's notebook runner.

Usage: ``python3 notebook_runner.py INPUT.ipynb EXECUTED.ipynb [PARAMETERS.json]``

Stand-alone on purpose (standard library, nbformat and nbclient with an ipykernel): the
platforms copy this file next to the session's notebook and run it in the notebook image
(Docker API) or the notebook venv (Slurm), where the broker is not installed.

Parameters (a JSON object) go into a cell inserted after the cell tagged ``parameters``, or
first when there is none, as papermill does. What the cells print is echoed as each cell
finishes, so the last lines of the job's output are the notebook's own. The executed
notebook, outputs included, is written to EXECUTED.ipynb even when a cell fails; then the
cell's error is the last line printed and the exit code is 1.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from traitlets.config import Config

TAG = "parameters"


def inject(notebook: Any, parameters: dict[str, Any]) -> None:
    """Insert the parameters cell (values as Python literals)."""
    if not parameters:
        return
    lines = ["# Parameters injected by the IVOA ExecutionBroker"]
    lines += [f"{name} = {value!r}" for name, value in parameters.items()]
    cell = nbformat.v4.new_code_cell("\n".join(lines))
    cell.metadata["tags"] = ["injected-parameters"]
    position = 0
    for index, existing in enumerate(notebook.cells):
        if TAG in existing.get("metadata", {}).get("tags", []):
            position = index + 1
            break
    notebook.cells.insert(position, cell)


def echo(cell: Any) -> None:
    """Print what a cell wrote (streams, plain-text results, errors)."""
    for output in cell.get("outputs", []):
        kind = output.get("output_type")
        if kind == "stream":
            stream = sys.stderr if output.get("name") == "stderr" else sys.stdout
            stream.write(output.get("text", ""))
        elif kind in ("execute_result", "display_data"):
            text = output.get("data", {}).get("text/plain")
            if text:
                print(text)
    sys.stdout.flush()


def main(arguments: list[str]) -> int:
    if len(arguments) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    source, target = arguments[0], arguments[1]
    parameters: dict[str, Any] = {}
    if len(arguments) == 3:
        with open(arguments[2], encoding="utf-8") as stream:
            parameters = json.load(stream)
    notebook = nbformat.read(source, as_version=4)
    inject(notebook, parameters)
    config = Config()
    config.KernelManager.transport = "ipc"  # local sockets: no TCP port, no plain-text warning
    client = NotebookClient(notebook, timeout=None, kernel_name="python3", config=config,
                            resources={"metadata": {"path": "."}})
    client.on_cell_executed = lambda cell, cell_index, execute_reply: echo(cell)
    failed: CellExecutionError | None = None
    try:
        client.execute()
    except CellExecutionError as problem:
        failed = problem
    finally:
        nbformat.write(notebook, target)
    if failed is not None:
        own = [c for c in notebook.cells  # numbered as in the notebook sent
               if "injected-parameters" not in c.get("metadata", {}).get("tags", [])]
        where = next((i for i, c in enumerate(own) if any(
            o.get("output_type") == "error" for o in c.get("outputs", []))), None)
        cell = f"cell {where + 1}" if where is not None else "a cell"
        print(f"The notebook failed in {cell}: {failed.ename}: {failed.evalue}",
              file=sys.stderr)
        return 1
    print(f"The notebook ran to the end ({len(notebook.cells)} cells); executed copy: {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

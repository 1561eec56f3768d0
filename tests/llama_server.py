"""llama.cpp's own HTTP server (OpenAI-compatible) on a GGUF model, from the prebuilt wheel xllamacpp.

    python tests/llama_server.py MODEL.gguf PORT

Runs until it is stopped. tests/llm/test_llm_server.py starts it on Gemma 3 270M (the `llm-test`
extra), which has no chat template of its own: the built-in "gemma" one (not a Jinja template).
"""

from __future__ import annotations

import sys
import threading

import xllamacpp


def main(model: str, port: str) -> None:
    params = xllamacpp.CommonParams()
    params.model.path = model
    params.hostnames = ["127.0.0.1"]
    params.port = int(port)
    params.n_ctx = 8192
    params.use_jinja = False
    params.chat_template = "gemma"
    params.cpuparams.n_threads = params.cpuparams_batch.n_threads = 2
    server = xllamacpp.Server(params)  # listening once it returns
    print(f"llama.cpp server on {server.listening_address}", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main(*sys.argv[1:3])

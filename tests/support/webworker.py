"""A worker with its web server on a free port and its own topics and consumer group, for HTTP tests."""

import asyncio
import dataclasses
import json
import socket
import time
import urllib.error
import urllib.request
import uuid

from streams.client.io import ensure_topics
from streams.replay.workers import WorkerProcess
from streams.settings import Settings, topic_name

TOKEN = "test-token-" + uuid.uuid4().hex[:8]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class WebWorker:
    def __init__(self, bootstrap: str, log_path, **env):
        run = uuid.uuid4().hex[:8]
        self.prefix = f"web-{run}."
        self.port = free_port()
        self.bootstrap = bootstrap
        self.settings = dataclasses.replace(Settings.from_env(), topic_prefix=self.prefix)
        self.proc = WorkerProcess(bootstrap, log_path=log_path, env={
            "WIRESTREAM_WEB_PORT": str(self.port), "WIRESTREAM_INGEST_TOKEN": TOKEN,
            "WIRESTREAM_TOPIC_PREFIX": self.prefix, "WIRESTREAM_APP_ID": f"wirestream-web-{run}", **env})

    def topic(self, short: str) -> str:
        return topic_name(short, self.prefix)

    def start(self, timeout: float = 180) -> "WebWorker":
        asyncio.run(ensure_topics(self.bootstrap, self.settings))
        self.proc.start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.alive(), self.proc.log_tail()
            try:
                if self.get("/health")[0] == 200:
                    return self
            except OSError:
                pass
            time.sleep(1)
        raise AssertionError(f"worker never became ready\n{self.proc.log_tail()}")

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=body, method=method,
                                     headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                return resp.status, resp.read(), dict(resp.headers)
        except urllib.error.HTTPError as err:
            return err.code, err.read(), dict(err.headers)

    def get(self, path: str, headers: dict | None = None):
        return self.request("GET", path, headers=headers)

    def get_json(self, path: str):
        status, body, _ = self.get(path)
        return status, json.loads(body)

    def post(self, body: bytes, token: str | None = TOKEN, content_type: str = "application/json"):
        headers = {"Content-Type": content_type}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        status, data, _ = self.request("POST", "/articles", body, headers)
        return status, json.loads(data)

    def stop(self) -> None:
        self.proc.stop()

    def restart(self) -> "WebWorker":
        """Stop (SIGTERM) and start again in the same group, on the same topics and port."""
        self.proc.stop()
        self.proc = WorkerProcess(self.bootstrap, log_path=self.proc.log_path, env=self.proc.env)
        return self.start()

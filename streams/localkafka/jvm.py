"""The Java side of the local Kafka broker: finding ``java``, resolving the broker's jars from Maven Central
once, and the JVM's fast-start options. Also the error type every broker module raises.

``streams/localkafka/kafka/pom.xml`` is resolved with ``mvn dependency:copy-dependencies`` into
``<jar cache>/libs-<version>`` (Maven's own ``~/.m2`` cache is reused); see streams/localkafka/node.py.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import uuid
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path

from streams.localkafka.errors import LocalKafkaError
from streams.settings import BY_NAME, get_settings

KAFKA_VERSION = BY_NAME["WIRESTREAM_KAFKA_VERSION"].default
"""Kafka version run by default. 3.9.1 also works (the pom's ``reload4j`` profile is picked for 3.x)."""

MIN_JAVA = 17
MVN_TIMEOUT = 1800.0
JAVA_INSTALL_HINT = "install OpenJDK 17: apt-get install openjdk-17-jre-headless"

FAST_START = True
"""HotSpot only: C1-only JIT (``-XX:TieredStopAtLevel=1``) plus an application class-data-sharing archive
(AppCDS, dumped when the first broker exits, kept next to the jars). On a 2-CPU machine this takes a cold
start from ~11 s to ~3 s; C1 code is slower at peak, which does not matter for a development broker.
``WIRESTREAM_BROKER_FAST_START=0`` turns both off."""

_KAFKA_DIR = Path(__file__).resolve().parent / "kafka"
_COMPLETE_MARKER = ".complete.json"

Echo = Callable[[str], None]


# --------------------------------------------------------------------------------------------- paths


def jar_cache_dir() -> Path:
    """Directory holding ``libs-<version>``: ``$WIRESTREAM_KAFKA_CACHE`` or ``<home>/kafka``."""
    settings = get_settings()
    return settings.kafka_cache or settings.home / "kafka"


def kafka_version() -> str:
    return get_settings().kafka_version


def _major(version: str) -> int:
    try:
        return int(version.split(".")[0])
    except ValueError as exc:
        raise LocalKafkaError(f"invalid Kafka version {version!r}: use e.g. {KAFKA_VERSION}") from exc


def logging_profile(version: str) -> str:
    return "log4j2" if _major(version) >= 4 else "reload4j"


# ---------------------------------------------------------------------------------------------- java


def find_java() -> str:
    """Path of a ``java`` >= 17 (``$JAVA_HOME/bin/java`` first, then PATH); LocalKafkaError otherwise."""
    java = None
    java_home = os.environ.get("JAVA_HOME")
    if java_home:
        candidate = Path(java_home) / "bin" / "java"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            java = str(candidate)
    java = java or shutil.which("java")
    if not java:
        raise LocalKafkaError(f"no `java` found on PATH (Kafka needs Java {MIN_JAVA}+): {JAVA_INSTALL_HINT}")
    major = _java_info(java)[0]
    if major < MIN_JAVA:
        raise LocalKafkaError(f"{java} is Java {major}, Kafka needs Java {MIN_JAVA}+: {JAVA_INSTALL_HINT}")
    return java


@cache
def _java_info(java: str) -> tuple[int, str]:
    """(major version, full ``java -version`` output) of ``java``."""
    try:
        proc = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise LocalKafkaError(f"cannot run `{java} -version` ({exc}): {JAVA_INSTALL_HINT}") from exc
    text = proc.stderr + proc.stdout
    match = re.search(r'version "(\d+)(?:\.(\d+))?', text)
    if not match:
        raise LocalKafkaError(f"cannot tell the Java version of {java}: {JAVA_INSTALL_HINT}")
    major = int(match.group(1))
    if major == 1 and match.group(2):  # "1.8.0_392" style
        major = int(match.group(2))
    return major, text


# ---------------------------------------------------------------------------------------------- jars


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as fh:  # noqa: SIM115 - held for the duration of the lock
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _pom_fingerprint(version: str, profile: str) -> str:
    digest = hashlib.sha256((_KAFKA_DIR / "pom.xml").read_bytes())
    digest.update(f"\0{version}\0{profile}".encode())
    return digest.hexdigest()


def _libs_marker(libs: Path) -> dict:
    try:
        marker = json.loads((libs / _COMPLETE_MARKER).read_text())
    except (OSError, ValueError):
        return {}
    return marker if isinstance(marker, dict) else {}


def _libs_complete(libs: Path, fingerprint: str) -> bool:
    marker = _libs_marker(libs)
    if marker.get("fingerprint") != fingerprint or not marker.get("jars"):
        return False
    return all((libs / name).is_file() and (libs / name).stat().st_size > 0 for name in marker["jars"])


def classpath(libs: Path) -> str:
    """Explicit, sorted class path of ``libs`` (deterministic, as the CDS archive requires)."""
    jars = _libs_marker(libs).get("jars") or sorted(p.name for p in libs.glob("*.jar"))
    return os.pathsep.join(str(libs / name) for name in jars)


def _mvn_error_line(log_text: str) -> str:
    boring = ("-> [Help", "Re-run Maven", "To see the full stack", "For more information about",
              "[Help 1]", "After correcting the problems")
    for line in log_text.splitlines():
        line = re.sub(r"\x1b\[[0-9;]*m", "", line).strip()
        if line.startswith("[ERROR]"):
            text = line[len("[ERROR]"):].strip()
            if text and not any(text.startswith(b) for b in boring):
                return text[:400]
    lines = [ln.strip() for ln in log_text.splitlines() if ln.strip()]
    return lines[-1][:400] if lines else "no output"


def ensure_jars(
    version: str | None = None, *, cache_dir: Path | None = None, echo: Echo | None = None
) -> Path:
    """Return ``<cache>/libs-<version>`` holding the broker's runtime class path, running Maven if needed.

    Maven is skipped entirely when the directory is complete (all jars of the last successful resolution
    present and the pom unchanged). Resolution goes to a temporary directory that replaces the old one only
    on success; a lock keeps concurrent starts from resolving twice.
    """
    version = version or kafka_version()
    profile = logging_profile(version)
    cache_dir = cache_dir if cache_dir is not None else jar_cache_dir()
    libs = cache_dir / f"libs-{version}"
    fingerprint = _pom_fingerprint(version, profile)
    if _libs_complete(libs, fingerprint):
        return libs
    with file_lock(cache_dir / f".lock-{version}"):
        if _libs_complete(libs, fingerprint):
            return libs
        java = find_java()
        mvn = shutil.which("mvn")
        if not mvn:
            raise LocalKafkaError(
                "Maven (`mvn`) not found on PATH; it is needed once to download the Kafka jars: "
                "apt-get install maven"
            )
        work = cache_dir / f"build-{version}"
        tmp_libs = cache_dir / f"libs-{version}.tmp"
        shutil.rmtree(tmp_libs, ignore_errors=True)
        work.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(_KAFKA_DIR / "pom.xml", work / "pom.xml")
        log_path = cache_dir / f"mvn-{version}.log"
        cmd = [
            mvn, "-B", "-ntp", "-Dstyle.color=never", "-f", str(work / "pom.xml"),
            f"-Dkafka.version={version}", f"-P{profile}",
            "dependency:copy-dependencies", "-DincludeScope=runtime", f"-DoutputDirectory={tmp_libs}",
        ]
        env = dict(os.environ)
        env.setdefault("JAVA_HOME", str(Path(java).resolve().parent.parent))
        if echo:
            echo(f"resolving Kafka {version} jars with Maven (once; about a minute on a cold ~/.m2) ...")
        with open(log_path, "w") as log:
            try:
                proc = subprocess.run(cmd, cwd=work, stdout=log, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL, env=env, timeout=MVN_TIMEOUT)
                rc = proc.returncode
            except subprocess.TimeoutExpired:
                rc = None
            except OSError as exc:
                raise LocalKafkaError(f"cannot run {mvn} ({exc}): check the Maven installation") from exc
        if rc != 0:
            shutil.rmtree(tmp_libs, ignore_errors=True)
            if rc is None:
                what = f"timed out after {MVN_TIMEOUT:.0f} s"
            else:
                what = _mvn_error_line(log_path.read_text(errors="replace"))
            raise LocalKafkaError(
                f"Maven could not resolve the Kafka {version} jars: {what} "
                f"(full log: {log_path}; check access to Maven Central, then retry)"
            )
        jars = sorted(p.name for p in tmp_libs.glob("*.jar")) if tmp_libs.is_dir() else []
        if not any(name.startswith("kafka_2.13-") for name in jars):
            raise LocalKafkaError(f"Maven succeeded but no kafka_2.13 jar is in {tmp_libs}: see {log_path}")
        (tmp_libs / _COMPLETE_MARKER).write_text(
            json.dumps({"version": version, "profile": profile, "fingerprint": fingerprint, "jars": jars})
        )
        old = cache_dir / f"libs-{version}.old"
        shutil.rmtree(old, ignore_errors=True)
        if libs.exists():
            libs.rename(old)
        tmp_libs.rename(libs)
        shutil.rmtree(old, ignore_errors=True)
        return libs


# ------------------------------------------------------------------------------------- fast start


def _hotspot(java: str) -> bool:
    text = _java_info(java)[1]
    return "Server VM" in text and "OpenJ9" not in text


def _fast_start_opts(java: str, libs: Path, classpath: str, version: str) -> list[str]:
    """C1-only JIT + AppCDS options for HotSpot JVMs (see :data:`FAST_START`); [] elsewhere."""
    if not FAST_START or not get_settings().broker_fast_start:
        return []
    if not _hotspot(java):
        return []
    version_text = _java_info(java)[1]
    opts = ["-XX:TieredStopAtLevel=1", "-Xlog:cds*=off", "-Xlog:class+path=off"]
    key = hashlib.sha256(
        "\0".join([java, version_text, classpath, _libs_marker(libs).get("fingerprint", "")]).encode()
    ).hexdigest()[:16]
    cds_dir = libs.parent / "cds"
    archive = cds_dir / f"kafka-{version}-{key}.jsa"
    if archive.is_file():
        return [*opts, f"-XX:SharedArchiveFile={archive}"]
    cds_dir.mkdir(parents=True, exist_ok=True)
    # A previous broker dumped an archive when it exited: adopt it if the JVM accepts it (-Xshare:on fails on
    # a truncated or mismatching archive instead of silently ignoring or crashing on it).
    for dump in sorted(cds_dir.glob(f"{archive.name}.*.tmp")):
        try:
            ok = subprocess.run(
                [java, f"-XX:SharedArchiveFile={dump}", "-Xshare:on", f"-XX:ErrorFile={cds_dir}/hs_err.log",
                 "-cp", classpath, "-version"],
                cwd=cds_dir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60,
            ).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            ok = False
        if ok:
            dump.replace(archive)
            for stale in cds_dir.glob(f"kafka-{version}-*.jsa"):
                if stale != archive:
                    stale.unlink(missing_ok=True)
            return [*opts, f"-XX:SharedArchiveFile={archive}"]
        dump.unlink(missing_ok=True)
        (cds_dir / "hs_err.log").unlink(missing_ok=True)
    return [*opts, f"-XX:ArchiveClassesAtExit={cds_dir / f'{archive.name}.{uuid.uuid4().hex[:8]}.tmp'}"]

"""A Docker image of the reference target, built from this machine's Python without any pull.

No registry can be reached here, so the image is ``FROM scratch`` over a root filesystem assembled
from the running interpreter: its binary and standard library at their own absolute paths (so its
rpath still finds libpython), the shared libraries ``ldd`` names, the site-packages the reference
server imports, and ``harness/reference``. The tag is the content hash of all of that, so a re-run
with nothing changed reuses the image (``ensure_reference_image`` returns in well under a second).

The image listens on ``CONTAINER_PORT``, keeps its SQLite file in ``/data`` (a volume in the compose
file), starts with the harness's raised rate limits, and reads planted faults from
``HARNESS_REFERENCE_FAULTS`` (comma-separated) so tests can run a faulty server in a container.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import py_compile
import re
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import time
from pathlib import Path

import docker

IMAGE_REPO = "sync-harness-reference"
CONTAINER_PORT = 8080
PYTHON_LINK = "/usr/local/bin/python"
ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "tests" / "docker" / "reference-compose.yml"

_STDLIB_SKIP = {"test", "idlelib", "tkinter", "turtledemo", "ensurepip", "lib2to3", "site-packages",
                "__pycache__", "pydoc_data", "unittest"}

ENTRY = """\
import os, sys
faults = [f for f in os.environ.get("HARNESS_REFERENCE_FAULTS", "").split(",") if f]
argv = ["--host", "0.0.0.0", "--port", "%(port)d", "--db", "/data/reference.sqlite3"]
for fault in faults:
    argv += ["--fault", fault]
if sys.argv[1:2] == ["healthwatch"]:  # the compose file's second service: polls the server's /health
    import signal, time, urllib.request
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # PID 1 ignores an unhandled SIGTERM
    url = sys.argv[2]
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                print("healthwatch:", url, resp.status, flush=True)
        except OSError as exc:
            print("healthwatch:", url, "unreachable:", exc, flush=True)
        time.sleep(2)
if sys.argv[1:2] == ["healthcheck"]:
    import urllib.request
    urllib.request.urlopen("http://127.0.0.1:%(port)d/health", timeout=2)
    sys.exit(0)
from harness.reference.cli import main
sys.exit(main(argv))
""" % {"port": CONTAINER_PORT}

RATE_LIMITS = {
    "FILAMENT_RATE_LIMIT_REQUESTS_PER_MINUTE": "1000000",
    "FILAMENT_AUTH_ROUTE_REQUESTS_PER_MINUTE": "1000000",
    "FILAMENT_DIRECTORY_JOIN_REQUESTS_PER_MINUTE_PER_IP": "1000000",
}


def _imported_site_files() -> list[str]:
    """Files of every module the reference server loads that live outside the stdlib and the project."""
    probe = (
        "import importlib, json, pkgutil, sys\n"
        "import harness.reference.cli, harness.reference.server as s\n"
        "for m in pkgutil.walk_packages(s.__path__, s.__name__ + '.'): importlib.import_module(m.name)\n"
        "print(json.dumps(sorted({getattr(m, '__file__', None) or '' for m in list(sys.modules.values())})))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120,
                         check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    return [f for f in json.loads(out.stdout.strip().splitlines()[-1]) if "site-packages" in f]


def _site_packages_roots(files: list[str]) -> dict[str, Path]:
    """Top-level package directories (or single modules) of the imported site-packages files."""
    roots: dict[str, Path] = {}
    for name in files:
        path = Path(name)
        parts = path.parts
        i = parts.index("site-packages")
        top = Path(*parts[: i + 2])
        roots[parts[i + 1]] = top
        libs = top.parent / f"{top.name}.libs"  # vendored shared libraries of manylinux wheels
        if libs.is_dir():
            roots[libs.name] = libs
    return roots


def _tree(src: Path, dest: str, skip: set[str] = frozenset()) -> dict[str, Path]:
    if src.is_file():
        return {dest: src}
    out: dict[str, Path] = {}
    for dirpath, dirnames, filenames in os.walk(src):
        dirnames[:] = sorted(d for d in dirnames if d not in skip and d != "__pycache__")
        for fname in sorted(filenames):
            if fname.endswith(".pyc"):
                continue
            full = Path(dirpath) / fname
            out[dest + "/" + str(full.relative_to(src))] = full
    return out


def _shared_libraries(binaries: list[Path]) -> dict[str, Path]:
    out: dict[str, Path] = {}
    for chunk_start in range(0, len(binaries), 200):
        chunk = [str(b) for b in binaries[chunk_start:chunk_start + 200]]
        text = subprocess.run(["ldd", *chunk], capture_output=True, text=True, timeout=60).stdout
        for m in re.finditer(r"(?:=>\s*)?(/\S+)\s+\(0x", text):
            lib = Path(m.group(1))
            if lib.exists():
                out[str(lib).lstrip("/")] = lib.resolve()
    return out


def rootfs_files() -> dict[str, Path]:
    """Archive name → file on this machine, for the image's root filesystem."""
    python = Path(sys.executable).resolve()
    stdlib = Path(sysconfig.get_path("stdlib", vars={"installed_base": sys.base_prefix,
                                                      "base": sys.base_prefix})).resolve()
    files: dict[str, Path] = {str(python).lstrip("/"): python}
    files.update(_tree(stdlib, str(stdlib).lstrip("/"), _STDLIB_SKIP))
    for name, top in _site_packages_roots(_imported_site_files()).items():
        files.update(_tree(top, "site/" + name))
    files.update(_tree(ROOT / "harness" / "reference", "app/harness/reference"))
    files["app/harness/__init__.py"] = ROOT / "harness" / "__init__.py"
    binaries = [python] + [p for p in files.values() if p.suffix == ".so" or ".so." in p.name]
    files.update(_shared_libraries(binaries))
    return files


def dockerfile(python_path: str) -> str:
    env = " ".join(f"{k}={v}" for k, v in RATE_LIMITS.items())
    return (
        "FROM scratch\n"
        "COPY rootfs/ /\n"
        f"ENV PATH=/usr/local/bin PYTHONPATH=/app:/site PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 {env}\n"
        f"EXPOSE {CONTAINER_PORT}\n"
        "VOLUME /data\n"
        'ENTRYPOINT ["python", "/app/entry.py"]\n'
    )


def _content_hash(files: dict[str, Path], python_path: str) -> str:
    digest = hashlib.sha256()
    digest.update(dockerfile(python_path).encode() + ENTRY.encode() + python_path.encode())
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + hashlib.sha256(files[name].read_bytes()).digest())
    return digest.hexdigest()[:16]


def _compiled(src: Path) -> bytes | None:
    """``src`` compiled to an unchecked-hash .pyc: valid whatever the file's time in the image, so the
    container's Python never recompiles the standard library at start (seconds on a busy machine)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "x.pyc"
        try:
            py_compile.compile(str(src), cfile=str(out), doraise=True,
                               invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
        except py_compile.PyCompileError:
            return None  # e.g. lib2to3 test data; Python would fail the same way at import
        return out.read_bytes()


def _context(files: dict[str, Path], python_path: str) -> bytes:
    """The build context as a tar: Dockerfile + rootfs/ (files, their .pyc, /tmp, /data, the python link)."""
    tag = sys.implementation.cache_tag
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        def add_bytes(name: str, data: bytes, mode: int = 0o644) -> None:
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), mode, 0
            tar.addfile(info, io.BytesIO(data))

        def add_dir(name: str) -> None:
            info = tarfile.TarInfo(name)
            info.type, info.mode = tarfile.DIRTYPE, 0o1777
            tar.addfile(info)

        add_bytes("Dockerfile", dockerfile(python_path).encode())
        add_bytes("rootfs/app/entry.py", ENTRY.encode())
        for d in ("rootfs/tmp", "rootfs/data", "rootfs/usr/local/bin"):
            add_dir(d)
        link = tarfile.TarInfo("rootfs" + PYTHON_LINK)
        link.type, link.linkname = tarfile.SYMTYPE, python_path
        tar.addfile(link)
        for name in sorted(files):
            src = files[name]
            add_bytes("rootfs/" + name, src.read_bytes(), 0o755 if os.access(src, os.X_OK) else 0o644)
            if name.endswith(".py"):
                pyc = _compiled(src)
                if pyc is not None:
                    folder, _, module = name.rpartition("/")
                    add_bytes(f"rootfs/{folder}/__pycache__/{module[:-3]}.{tag}.pyc", pyc)
    return buf.getvalue()


def ensure_reference_image(client: docker.DockerClient) -> tuple[str, float, bool]:
    """The reference image's tag, the seconds it took, and whether it was built (False: reused)."""
    began = time.monotonic()
    python_path = str(Path(sys.executable).resolve())
    files = rootfs_files()
    tag = f"{IMAGE_REPO}:{_content_hash(files, python_path)}"
    try:
        client.images.get(tag)
        return tag, time.monotonic() - began, False
    except docker.errors.ImageNotFound:
        pass
    client.images.build(fileobj=io.BytesIO(_context(files, python_path)), custom_context=True, tag=tag,
                        pull=False, rm=True, forcerm=True, labels={"sync-harness.image": "reference"}, timeout=600)
    _remove_older_tags(client, tag)
    return tag, time.monotonic() - began, True


def _remove_older_tags(client: docker.DockerClient, keep: str) -> None:
    """Earlier builds of the image (other content hashes): each is ~130 MB the engine would keep forever."""
    # The low-level listing: the SDK's images.list() re-reads each image, which fails if another run
    # removes one in between.
    for image in client.api.images(name=IMAGE_REPO):
        for old in image.get("RepoTags") or []:
            if old != keep:
                try:
                    client.images.remove(old)
                except docker.errors.APIError:  # still used by a container of a running test: next time
                    pass


if __name__ == "__main__":  # `python tests/support/reference_image.py`: build it and print the tag
    tag, seconds, built = ensure_reference_image(docker.from_env())
    print(f"{tag} ({'built' if built else 'reused'} in {seconds:.1f}s)")

"""docker-compose.yml and the Dockerfile, checked without a Docker engine.

Every path the compose file mounts, builds or reads exists in the repository; every variable it reads
is documented in .env.example without a real secret; every image is pinned to an explicit version;
every long-running service has a healthcheck; Airflow runs on CeleryExecutor with two workers; the
images carry the versions requirements.txt (and superset/requirements.txt) pin.
"""

from __future__ import annotations

import ast
import re
import shlex
import tomllib
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO

COMPOSE_PATH = REPO / "docker-compose.yml"
DATA_DIR = "/data"
# ${VAR}, ${VAR:-default}, ${VAR:?message}; `$$` escapes a dollar for the container's shell.
VARIABLE = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)([^}]*)\}")
BARE_VARIABLE = re.compile(r"(?<!\$)\$(?![${])[A-Za-z_]")
SECRET_NAME = re.compile(r"PASSWORD|SECRET|TOKEN|FERNET|_KEY$")
URL_PASSWORD = re.compile(r"://[^:/@\s]*:([^@\s]+)@")
FROM_LINE = re.compile(r"^\s*FROM\s+(\S+)", re.MULTILINE | re.IGNORECASE)
PIN = re.compile(r"^([A-Za-z0-9_.\-\[\]]+)==([^\s;#]+)", re.MULTILINE)


@pytest.fixture(scope="module")
def text() -> str:
    return COMPOSE_PATH.read_text()


@pytest.fixture(scope="module")
def compose(text) -> dict:
    return yaml.safe_load(text)  # resolves the x-airflow-common anchors and `<<` merges


@pytest.fixture(scope="module")
def services(compose) -> dict[str, dict]:
    return compose["services"]


def pins(path: Path) -> dict[str, str]:
    """``name==version`` lines of a requirements file, names normalised (extras dropped)."""
    found = {}
    for name, version in PIN.findall(path.read_text()):
        found[re.sub(r"\[.*\]", "", name).lower().replace("_", "-")] = version
    return found


def env_example() -> dict[str, str]:
    values = {}
    for line in (REPO / ".env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, sep, value = line.partition("=")
            assert sep, f".env.example: not NAME=value: {line!r}"
            values[name.strip()] = value.strip()
    return values


def command_text(service: dict) -> str:
    command = service.get("command", "")
    return " ".join(command) if isinstance(command, list) else str(command)


def environment(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.partition("=")[::2] for item in env)
    return {k: str(v) for k, v in env.items()}


def long_running(services: dict) -> dict[str, dict]:
    """Everything but the one-shot services (``restart: "no"``, awaited by the others)."""
    return {name: s for name, s in services.items() if s.get("restart", "no") != "no"}


def airflow_services(services: dict) -> dict[str, dict]:
    return {name: s for name, s in services.items() if "AIRFLOW__CORE__EXECUTOR" in environment(s)}


def dockerfiles(services: dict) -> dict[str, str]:
    """Every Dockerfile the compose file builds (inline or on disk), by a readable name."""
    found = {}
    for name, service in services.items():
        build = service.get("build")
        if build is None:
            continue
        build = {"context": build} if isinstance(build, str) else build
        if "dockerfile_inline" in build:
            found[f"{name} (inline)"] = build["dockerfile_inline"]
        else:
            path = REPO / build["context"] / build.get("dockerfile", "Dockerfile")
            found[str(path.relative_to(REPO))] = path.read_text()
    return found


def image_is_pinned(image: str) -> bool:
    name, _, tag = image.rpartition(":")
    return bool(name) and "/" not in tag and tag != "latest" and re.match(r"^\d+(\.\d+)+", tag) is not None


def test_every_path_the_compose_file_uses_exists(services):
    missing = []
    for name, service in services.items():
        build = service.get("build")
        if build is not None:
            build = {"context": build} if isinstance(build, str) else build
            context = REPO / build["context"]
            if not context.is_dir():
                missing.append(f"{name}: build context {build['context']}")
            elif "dockerfile_inline" not in build and not (context / build.get("dockerfile", "Dockerfile")).is_file():
                missing.append(f"{name}: dockerfile {build.get('dockerfile', 'Dockerfile')}")
        env_files = service.get("env_file") or []
        for env_file in [env_files] if isinstance(env_files, str | dict) else env_files:
            path = env_file["path"] if isinstance(env_file, dict) else env_file
            if not (REPO / path).exists():
                missing.append(f"{name}: env_file {path}")
        for volume in service.get("volumes") or []:
            source = volume.get("source", "") if isinstance(volume, dict) else volume.split(":")[0]
            if source.startswith((".", "/")) and not (REPO / source).exists():
                missing.append(f"{name}: bind mount {source}")
    assert not missing, f"paths missing from the repository: {missing}"


def test_every_variable_is_documented_without_a_real_secret(text, services):
    documented = env_example()
    used = {m.group(1) for m in VARIABLE.finditer(text)}
    assert used, "the compose file reads its settings from .env"
    assert not BARE_VARIABLE.search(text), "use ${VAR} (or $$VAR for the container's shell)"
    assert used <= documented.keys(), f"undocumented in .env.example: {sorted(used - documented.keys())}"
    assert not documented.keys() - used, f"documented but unused: {sorted(documented.keys() - used)}"
    for name, value in documented.items():
        if SECRET_NAME.search(name):
            assert value in ("", "change-me"), f".env.example holds a value for the secret {name}"
    # A secret without a default must stop compose when it is missing (`${VAR:?…}`), never fall back.
    for m in VARIABLE.finditer(text):
        if SECRET_NAME.search(m.group(1)):
            assert m.group(2).startswith(":?"), f"${{{m.group(1)}}} needs :? (no default for a secret)"


def test_no_secret_is_written_in_the_compose_file(text, services):
    for name, service in services.items():
        for key, value in environment(service).items():
            if SECRET_NAME.search(key) and not key.endswith("_FILE"):
                assert value.startswith("${") or value == "", f"{name}: {key} is written in the file"
    for password in URL_PASSWORD.findall(text):
        assert password.startswith("${"), f"a URL carries a literal password: {password!r}"


def test_every_image_is_pinned_to_an_explicit_version(services):
    images = {name: s["image"] for name, s in services.items() if "image" in s}
    assert images.keys() >= {"postgres", "redis"}
    unpinned = {name: image for name, image in images.items() if not image_is_pinned(image)}
    assert not unpinned, f"images without an explicit version tag: {unpinned}"
    built = [name for name, s in services.items() if "build" in s and "image" not in s]
    assert not built, f"built images need an explicit name:version: {built}"
    bases = {where: FROM_LINE.findall(content) for where, content in dockerfiles(services).items()}
    assert bases, "the compose file builds the project's images"
    for where, froms in bases.items():
        assert froms, f"{where}: no FROM line"
        for base in froms:
            assert image_is_pinned(base), f"{where}: base image {base} has no explicit version tag"


def test_every_long_running_service_has_a_healthcheck(services):
    running = long_running(services)
    assert len(running) >= 10
    for name, service in running.items():
        check = service.get("healthcheck") or {}
        assert check.get("test") and not check.get("disable"), f"{name} has no healthcheck"
    # One-shot services are awaited: whoever depends on them starts after they succeed.
    one_shot = set(services) - set(running)
    awaited = {
        dep
        for s in services.values()
        for dep, cond in (s.get("depends_on") or {}).items()
        if cond.get("condition") == "service_completed_successfully"
    }
    assert one_shot == awaited, f"one-shot services nobody waits for: {sorted(one_shot - awaited)}"


def test_dependencies_and_volumes_are_declared(compose, services):
    declared = set(compose.get("volumes") or {})
    for name, service in services.items():
        for dep in service.get("depends_on") or {}:
            assert dep in services, f"{name} depends on unknown service {dep}"
        for volume in service.get("volumes") or []:
            source = volume.split(":")[0] if isinstance(volume, str) else volume.get("source", "")
            if source and not source.startswith((".", "/")):
                assert source in declared, f"{name}: volume {source} is not declared"


def test_airflow_runs_on_celery_with_two_workers_and_every_component(services):
    airflow = airflow_services(services)
    assert airflow, "the Airflow services share x-airflow-common"
    for name, service in airflow.items():
        env = environment(service)
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
        assert (
            env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://")
            and "@redis:" in env["AIRFLOW__CELERY__BROKER_URL"]
        )
        assert "@postgres:" in env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
        assert env["AIRFLOW__CELERY__RESULT_BACKEND"].startswith("db+postgresql")
        assert env["AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION"] == "False", "a paused consumer drops asset events"
    commands = {name: command_text(s) for name, s in airflow.items()}
    workers = {name: c for name, c in commands.items() if c.startswith("celery worker")}
    assert len(workers) == 2, f"two Celery workers, got {sorted(workers)}"
    hostnames = {shlex.split(c)[shlex.split(c).index("--celery-hostname") + 1] for c in workers.values()}
    assert len(hostnames) == 2, "each worker has its own Celery hostname"
    for component in ("api-server", "scheduler", "dag-processor", "triggerer"):
        assert component in commands.values(), f"no service runs `airflow {component}`"
    for name in ("postgres", "redis"):
        assert services[name]["image"].split(":")[0] == name
    for name, service in airflow.items():
        deps = service.get("depends_on") or {}
        if name not in ("source-simulator", "dossier-api"):
            assert {"postgres", "redis"} <= set(deps), f"{name} waits for its database and broker"


def dag_pools() -> dict[str, int | None]:
    """The pools orchestration/assets.py names (``X_POOL``) and their sizes (``X_SLOTS``), read without
    importing Airflow."""
    tree = ast.parse((REPO / "include/parmetrics/orchestration/assets.py").read_text())
    constants = {
        node.targets[0].id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and isinstance(node.targets[0], ast.Name)
        and isinstance(node.value, ast.Constant)
    }
    return {v: constants.get(k.removesuffix("_POOL") + "_SLOTS") for k, v in constants.items() if k.endswith("_POOL")}


def test_init_creates_every_pool_the_dags_use(services):
    init = [s for s in services.values() if "db migrate" in command_text(s)]
    assert len(init) == 1, "one init service migrates the metadata database"
    script = command_text(init[0])
    created = {name: int(slots) for name, slots in re.findall(r"airflow pools set (\S+) (\d+)", script)}
    used = dag_pools()
    assert "duckdb_writer" in used, "the DAGs' pools are named in orchestration/assets.py"
    missing = sorted(used.keys() - created.keys())
    assert not missing, f"pools not created by the init service: {missing}"
    assert created["duckdb_writer"] == 1, "DuckDB allows one writer process per file"
    for pool, slots in used.items():
        if slots is not None:
            assert created[pool] == slots, f"pool {pool}: {created[pool]} slots, the DAGs expect {slots}"
    assert "AIRFLOW_ADMIN_PASSWORD" in environment(init[0]), "the init service creates the admin user"


def test_data_volumes_are_shared_and_superset_reads_the_publication_read_only(services):
    airflow = airflow_services(services)
    for name, service in airflow.items():
        assert environment(service)["PARMETRICS_DATA_DIR"] == DATA_DIR
        mounts = dict(v.split(":")[:2] for v in service["volumes"])
        assert mounts.get("parmetrics-data") == DATA_DIR, f"{name} shares the data directory"
        assert mounts.get("parmetrics-published") == f"{DATA_DIR}/published", f"{name} shares the publication"
    superset = {n: s for n, s in services.items() if s.get("image", "").startswith("parmetrics-superset:")}
    assert superset, "Superset is part of the deployment"
    for name, service in superset.items():
        published = [v for v in service["volumes"] if v.startswith("parmetrics-published:")]
        assert published and all(v.endswith(":ro") for v in published), f"{name} reads the publication read-only"
        assert not [v for v in service["volumes"] if v.startswith("parmetrics-data:")], (
            f"{name} sees only published data"
        )
        assert environment(service)["PARMETRICS_DATA_DIR"] == DATA_DIR, "the dashboards find <data>/published"


def test_the_images_carry_the_pinned_versions(services):
    runtime = pins(REPO / "requirements.txt")
    locked = pins(REPO / "requirements.lock")
    dockerfile = (REPO / "Dockerfile").read_text()
    base = FROM_LINE.findall(dockerfile)
    assert len(base) == 1 and base[0].startswith("apache/airflow:"), base
    airflow_version, _, python = base[0].split(":")[1].partition("-python")
    assert airflow_version == runtime["apache-airflow"] == locked["apache-airflow"]
    requires = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["requires-python"]
    assert f">={python}" in requires, f"the image's Python {python} is the project's ({requires})"
    for name, version in pins_in(dockerfile).items():
        assert locked.get(name) == version, f"Dockerfile pins {name}=={version}, the lock {locked.get(name)}"
    assert "requirements.lock" in dockerfile, "the image installs the lock file"
    project_version = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    for name, service in airflow_services(services).items():
        assert service["image"] == f"parmetrics-airflow:{project_version}", name

    superset_pins = pins(REPO / "superset" / "requirements.txt")
    inline = sorted({content for content in dockerfiles(services).values() if "apache/superset:" in content})
    assert len(inline) == 1, "one Superset image"
    assert FROM_LINE.findall(inline[0]) == [f"apache/superset:{superset_pins['apache-superset']}"]
    for name, version in pins_in(inline[0]).items():
        assert superset_pins.get(name) == version, (
            f"Superset image pins {name}=={version}, superset/requirements.txt {superset_pins.get(name)}"
        )
    # Superset reads the file the pipeline writes: the same DuckDB release.
    assert superset_pins["duckdb"] == runtime["duckdb"]
    assert superset_pins["duckdb-engine"] in inline[0]


def pins_in(dockerfile: str) -> dict[str, str]:
    return {name.lower(): version for name, version in re.findall(r"([A-Za-z0-9_.\-]+)==([0-9][^\s\"']*)", dockerfile)}

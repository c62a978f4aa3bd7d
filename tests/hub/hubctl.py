"""A real JupyterHub on localhost for the hub tests (tests/hub): local users, a clone of the
course for nbgitpuller, the hub's config, the hub itself, and a teardown that checks nothing is
left behind.

As on The Littlest JupyterHub, the hub runs as root with JupyterHub's LocalProcessSpawner: each
user's server runs as that Unix user, from one environment (.venv-hub, requirements-hub.txt)
that serves as both the hub's Python and the users'. The proxy is configurable-http-proxy from
npm (tests/hub/package.json, installed into .hub-node).

Everything a session writes goes into one temporary folder:
    hub/      0700: jupyterhub_config.py, the database, the cookie secret, hub.log
    course/   readable by everyone: the course source (a clone of this repository's HEAD, on
              branch main), the git config that lets learners clone it, and jupyter/ with
              deploy/nbgrader_config.py, the Jupyter config folder of every user's server
    exchange/ 0777: nbgrader's exchange (as /srv/nbgrader/exchange on a real hub)
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.browser import harness

ROOT = Path(__file__).resolve().parents[2]
# Resolved: .venv-hub may be a link to a venv outside a checkout other users cannot enter (see
# scripts/test.sh), and the users' servers get this path. BPLIB_HUB_VENV points elsewhere (the
# tests of the missing-environment path use a path that does not exist).
VENV = Path(os.environ.get("BPLIB_HUB_VENV", ROOT / ".venv-hub")).resolve()
PROXY = ROOT / ".hub-node" / "node_modules" / ".bin" / "configurable-http-proxy"
COURSE_NAME = "backprop-course"  # the folder the link clones into in a home (its targetpath; README)
SOURCE_NAME = "course-fork"  # the course source's folder: named unlike COURSE_NAME, as a fork may be
BRANCH = "main"
ROLES = ("instructor", "alice", "bob", "carol")  # the first is the hub's admin
START_TIMEOUT_S = 90.0  # hub start, or a user's server start, on a busy 2-core machine
STOP_TIMEOUT_S = 30.0
USER_EXIT_GRACE_S = 15.0  # for a kernel still shutting down after its server stopped
API_SERVICE = "hub-tests"  # the service whose token the tests use for admin calls
NOBODY_UID = 65534
SHARED_TMP = ("/tmp", "/var/tmp", "/dev/shm")  # where any user can leave files behind

CONFIG = """\
# Written by tests/hub/hubctl.py for one test session; removed with it.
c = get_config()  # noqa: F821

c.JupyterHub.bind_url = {public_url!r}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {hub_port!r}
c.ConfigurableHTTPProxy.api_url = {proxy_api_url!r}
c.ConfigurableHTTPProxy.command = [{proxy!r}]
c.JupyterHub.db_url = {db_url!r}
c.JupyterHub.cookie_secret_file = {cookie_secret_file!r}

# One password for the learners, another (>= 32 characters) for the admin: JupyterHub's
# successor (5.3+) of DummyAuthenticator.password, meant for short workshops.
c.JupyterHub.authenticator_class = "shared-password"
c.SharedPasswordAuthenticator.user_password = {user_password!r}
c.SharedPasswordAuthenticator.admin_password = {admin_password!r}
c.Authenticator.allowed_users = {allowed_users!r}
c.Authenticator.admin_users = {admin_users!r}

# Real local users, each server as its user, from the hub's own environment (like TLJH).
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [{singleuser!r}]
c.Spawner.default_url = "/lab"
c.Spawner.notebook_dir = "~"
c.Spawner.start_timeout = {start_timeout!r}
c.Spawner.http_timeout = {start_timeout!r}
# The tests find a notebook's kernel through window.jupyterapp (tests/browser/harness.py).
c.Spawner.args = ["--LabApp.expose_app_in_browser=True"]
c.Spawner.environment = {environment!r}

c.JupyterHub.services = [{{"name": {service!r}, "api_token": {api_token!r}}}]
c.JupyterHub.load_roles = [{{
    "name": {service!r},
    "scopes": ["admin:users", "admin:servers", "access:servers"],
    "services": [{service!r}],
}}]
"""


# ---- can it run here -------------------------------------------------------------------
def unavailable_reason() -> str | None:
    """Why a hub cannot run here, or None."""
    if os.geteuid() != 0:
        return ("the hub tests create local users and run JupyterHub as root (LocalProcessSpawner, "
                "as on The Littlest JupyterHub): run them as root")
    if not (VENV / "bin" / "jupyterhub").exists():
        return (f"no {VENV} with JupyterHub (scripts/test.sh creates it: "
                f"python3 -m venv .venv-hub && .venv-hub/bin/pip install -r requirements-hub.txt)")
    for tool in ("useradd", "userdel", "git"):
        if shutil.which(tool) is None:
            return f"{tool} not found: the hub tests need it"
    if shutil.which("npm") is None:
        return "npm not found: the hub's proxy, configurable-http-proxy, is installed with npm"
    if not PROXY.exists():
        return (f"configurable-http-proxy is not installed in {PROXY.parents[2].name}/ "
                f"(scripts/test.sh installs it from tests/hub/package.json with npm ci)")
    # The users' servers run .venv-hub's Python as themselves: it and its base Python must be
    # readable by any user (a Python under /root is not).
    problem = None
    for command in (["python", "-c", "import bplib, nbgitpuller"], ["jupyterhub-singleuser", "--version"]):
        try:
            check = subprocess.run([str(VENV / "bin" / command[0]), *command[1:]], user=NOBODY_UID,
                                   group=NOBODY_UID, extra_groups=[], cwd="/", capture_output=True, text=True)
            problem = problem or (check.stderr.strip()[-300:] if check.returncode else None)
        except OSError as exc:  # the program or its interpreter cannot be executed
            problem = problem or f"{command[0]}: {exc}"
    if problem:
        return (f"an unprivileged user cannot run {VENV}'s Python or import bplib from it ({problem}): "
                f"the venv, its base Python and bplib must be readable by every user (scripts/test.sh "
                f"makes it so)")
    return None


# ---- users -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Account:
    """A local user of the hub. role: "instructor", "alice", ...; name: the Unix and hub name."""

    role: str
    name: str
    password: str
    admin: bool
    uid: int
    gid: int
    home: Path


def create_accounts(prefix: str, user_password: str, admin_password: str,
                    roles: tuple[str, ...] = ROLES) -> list[Account]:
    """One local user per role (the first is the admin), named prefix + role, with a home
    (useradd -m). On failure, the users already made are removed before the error propagates."""
    accounts: list[Account] = []
    try:
        for i, role in enumerate(roles):
            name = prefix + role
            assert len(name) <= 32, f"user name {name!r} is longer than useradd allows"
            _run(["useradd", "--create-home", "--shell", "/bin/bash", name])
            entry = pwd.getpwnam(name)
            accounts.append(Account(role, name, admin_password if i == 0 else user_password,
                                    admin=i == 0, uid=entry.pw_uid, gid=entry.pw_gid,
                                    home=Path(entry.pw_dir)))
    except BaseException:
        remove_accounts(accounts)
        raise
    return accounts


def remove_accounts(accounts: list[Account]) -> list[str]:
    """userdel -r each account (its processes must be gone). Returns the failures."""
    failures = []
    for account in accounts:
        done = subprocess.run(["userdel", "--remove", account.name], capture_output=True, text=True)
        if done.returncode != 0:
            failures.append(f"userdel {account.name}: exit {done.returncode}: {done.stderr.strip()}")
    return failures


# ---- the course source -----------------------------------------------------------------
def clone_course(folder: Path) -> Path:
    """Clone this repository's HEAD (committed files only; no network) into folder/SOURCE_NAME,
    on branch BRANCH, and write folder/gitconfig. Returns the clone."""
    clone = folder / SOURCE_NAME
    head = _run(["git", "-C", str(ROOT), "rev-parse", "HEAD"]).strip()
    _run(["git", "clone", "--quiet", "--no-checkout", str(ROOT), str(clone)])
    _run(["git", "-C", str(clone), "checkout", "--quiet", "-B", BRANCH, head])
    # git (2.35.2+) refuses to read a repository another user owns ("dubious ownership"), and a
    # local clone does not pass GIT_CONFIG_COUNT/-c settings on to the source's side. A system
    # config (GIT_CONFIG_SYSTEM, set for the users' servers only) marks this one source safe,
    # as an admin would in /etc/gitconfig; it still includes the machine's own.
    lines = ["[include]", "\tpath = /etc/gitconfig"] if Path("/etc/gitconfig").exists() else []
    lines += ["[safe]", f"\tdirectory = {clone / '.git'}"]
    (folder / "gitconfig").write_text("\n".join(lines) + "\n")
    return clone


def install_nbgrader_config(folder: Path) -> Path:
    """Copy deploy/nbgrader_config.py into folder/jupyter, the folder the users' servers and the
    instructor's commands read Jupyter config from (JUPYTER_CONFIG_PATH). Returns that folder."""
    config_dir = folder / "jupyter"
    config_dir.mkdir(mode=0o755)
    shutil.copy(ROOT / "deploy" / "nbgrader_config.py", config_dir / "nbgrader_config.py")
    return config_dir


# ---- the hub ---------------------------------------------------------------------------
class Hub:
    """JupyterHub (and its proxy) in a child process, configured by write_config().

    Attributes:
        url: the public URL (the proxy), e.g. http://127.0.0.1:PORT
        users: role -> Account ("instructor", "alice", "bob", "carol").
        course: the course source (a git clone) nbgitpuller links point to.
        api_token: a token with admin scopes on users and their servers.
    """

    def __init__(self, workdir: Path, accounts: list[Account], course: Path):
        self.workdir = workdir
        self.dir = workdir / "hub"
        self.users = {a.role: a for a in accounts}
        self.course = course
        self.exchange = workdir / "exchange"
        self.jupyter_config = workdir / "course" / "jupyter"
        self.api_token = secrets.token_hex(32)
        self.ports = {"proxy": _free_port(), "proxy API": _free_port(), "hub": _free_port()}
        self.url = f"http://127.0.0.1:{self.ports['proxy']}"
        self.log_path = self.dir / "hub.log"
        self.process: subprocess.Popen | None = None
        self._log = None

    @property
    def learners(self) -> list[Account]:
        return [a for a in self.users.values() if not a.admin]

    @property
    def instructor(self) -> Account:
        return next(a for a in self.users.values() if a.admin)

    def user_environment(self) -> dict[str, str]:
        """What the hub adds to every user's environment (their servers, kernels, commands)."""
        # (One BLAS thread per kernel comes from the environment's kernel spec, as README's
        # install makes it: scripts/test.sh runs the same ipykernel install.)
        return {
            "GIT_CONFIG_SYSTEM": str(self.course.parent / "gitconfig"),  # see clone_course
            "JUPYTER_CONFIG_PATH": str(self.jupyter_config),  # nbgrader_config.py (course id, exchange)
            "NBGRADER_EXCHANGE": str(self.exchange),
        }

    def write_config(self) -> Path:
        instructor = self.instructor
        environment = self.user_environment()
        text = CONFIG.format(
            public_url=self.url + "/",
            hub_port=self.ports["hub"],
            proxy_api_url=f"http://127.0.0.1:{self.ports['proxy API']}",
            proxy=str(PROXY),
            db_url=f"sqlite:///{self.dir / 'jupyterhub.sqlite'}",
            cookie_secret_file=str(self.dir / "cookie_secret"),
            user_password=self.learners[0].password,
            admin_password=instructor.password,
            allowed_users={a.name for a in self.users.values()},
            admin_users={instructor.name},
            singleuser=str(VENV / "bin" / "jupyterhub-singleuser"),
            start_timeout=int(START_TIMEOUT_S),
            environment=environment,
            service=API_SERVICE,
            api_token=self.api_token,
        )
        path = self.dir / "jupyterhub_config.py"
        path.write_text(text)
        return path

    def start(self) -> Hub:
        """Write the config, start jupyterhub, wait for /hub/health through the proxy."""
        config = self.write_config()
        # The hub's environment is the users' too (LocalProcessSpawner keeps PATH, LANG, ...):
        # .venv-hub first on PATH, nothing of the caller's Jupyter or Python settings.
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("JUPYTER", "IPYTHON", "MPL", "PYTHON", "VIRTUAL_ENV", "CONDA"))}
        env.update(PATH=os.pathsep.join([str(VENV / "bin"), "/usr/local/bin", "/usr/bin", "/bin",
                                         "/usr/local/sbin", "/usr/sbin", "/sbin"]),
                   VIRTUAL_ENV=str(VENV))
        self._log = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [str(VENV / "bin" / "jupyterhub"), "-f", str(config)], cwd=self.dir, env=env,
            stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group (it and the proxy): killpg at the end
            preexec_fn=harness._die_with_parent)  # a killed test run does not leave a hub running
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self._healthy():
            if self.process.poll() is not None:
                raise RuntimeError(f"jupyterhub exited with code {self.process.returncode}; "
                                   f"its log:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the hub did not answer /hub/health within {START_TIMEOUT_S:.0f} s; "
                                   f"its log:\n{self.log_tail()}")
            time.sleep(0.2)
        return self

    def _healthy(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + "/hub/health", timeout=5) as response:
                return response.status == 200
        except (OSError, urllib.error.URLError):
            return False

    # -- use -----------------------------------------------------------------------------
    def api(self, method: str, path: str, body: dict | None = None):
        """Call the hub's REST API (/hub/api + path) with the admin token; the decoded JSON body."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.url}/hub/api{path}", data=data, method=method,
                                         headers={"Authorization": f"token {self.api_token}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read()
        return json.loads(text) if text else None

    def pull_link(self, notebook: str) -> str:
        """The nbgitpuller link a learner follows: clone (or update) the course into their home,
        then open `notebook` (a path in the course, e.g. chapters/01_x.ipynb) in JupyterLab."""
        query = urllib.parse.urlencode({
            "repo": self.course.as_uri(),  # file://...: nbgitpuller runs git clone on it
            "branch": BRANCH,
            "targetpath": COURSE_NAME,  # else the folder would be named after the source
            "urlpath": f"lab/tree/{COURSE_NAME}/{notebook}",
        })
        return f"{self.url}/hub/user-redirect/git-pull?{query}"

    def pull(self, account: Account) -> list[dict]:
        """Pull the course into `account`'s home through nbgitpuller's own API on their running
        server (what the link's page does). Returns nbgitpuller's events; the last one says
        whether it finished ("phase": "finished") or failed ("phase": "error")."""
        query = urllib.parse.urlencode({"repo": self.course.as_uri(), "branch": BRANCH, "targetpath": COURSE_NAME})
        request = urllib.request.Request(f"{self.url}/user/{account.name}/git-pull/api?{query}",
                                         headers={"Authorization": f"token {self.api_token}"})
        events = []
        with urllib.request.urlopen(request, timeout=START_TIMEOUT_S) as response:
            for line in response:  # server-sent events: "data: {...}" lines
                if line.startswith(b"data:"):
                    events.append(json.loads(line[len(b"data:"):]))
        return events

    def run_as(self, account: Account, command: list[str], cwd: Path) -> subprocess.CompletedProcess:
        """Run `command` (e.g. ["nbgrader", "collect", ...], found first in the hub's environment)
        as `account` in `cwd`, with the environment the user's terminal on the hub would have."""
        env = {"HOME": str(account.home), "USER": account.name, "LOGNAME": account.name,
               "LANG": "C.UTF-8", "PATH": os.pathsep.join([str(VENV / "bin"), "/usr/bin", "/bin"]),
               **self.user_environment()}
        program = shutil.which(command[0], path=env["PATH"]) or command[0]
        return subprocess.run([program, *command[1:]], cwd=cwd, env=env,
                              user=account.uid, group=account.gid, extra_groups=[],
                              capture_output=True, text=True, timeout=START_TIMEOUT_S)

    def start_server(self, account: Account) -> None:
        """Start `account`'s server through the API and wait until it is ready."""
        try:
            self.api("POST", f"/users/{account.name}/server")
        except urllib.error.HTTPError as exc:
            if exc.code != 400:  # 400: already running
                raise
        self._wait_server(account, ready=True)

    def stop_server(self, account: Account) -> None:
        """Stop `account`'s server (if any) through the API and wait until it is gone."""
        self.api("DELETE", f"/users/{account.name}/server")
        self._wait_server(account, ready=False)

    def _wait_server(self, account: Account, ready: bool) -> None:
        deadline = time.monotonic() + (START_TIMEOUT_S if ready else STOP_TIMEOUT_S)
        while True:
            model = self.api("GET", f"/users/{account.name}")
            server = model.get("servers", {}).get("", {})
            if (server.get("ready", False) if ready else not server):
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"{account.name}'s server: expected ready={ready}, got {server}; "
                                   f"the hub's log:\n{self.log_tail()}")
            time.sleep(0.2)

    def log_tail(self, lines: int = 60) -> str:
        return harness.tail(self.log_path, lines)

    # -- stop ----------------------------------------------------------------------------
    def stop(self) -> list[str]:
        """Stop every user's server (API), then the hub (SIGTERM: it stops its proxy); kill what
        is left of its process group. Returns what did not stop cleanly (empty when all did)."""
        if self.process is None:
            return []
        problems = []
        if self.process.poll() is None:
            for account in self.users.values():
                try:
                    self.stop_server(account)
                except (OSError, RuntimeError, urllib.error.URLError) as exc:
                    problems.append(f"stopping {account.name}'s server: {exc}")
            self.process.terminate()
            try:
                self.process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                problems.append(f"jupyterhub did not exit within {STOP_TIMEOUT_S:.0f} s of SIGTERM")
        left = harness._alive([self.process.pid, *_group_members(self.process.pid)])
        if left:
            problems.append(f"processes of the hub's group still running after its exit (killed): {left}")
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)
        if self._log is not None:
            self._log.close()
        self.process = None
        return problems


# ---- a whole session -------------------------------------------------------------------
@contextlib.contextmanager
def running_hub(roles: tuple[str, ...] = ROLES) -> Iterator[Hub]:
    """Users (one per role, the first the admin), the course source and a started hub; afterwards
    everything removed, and an AssertionError when anything was left behind or had to be killed."""
    workdir = Path(tempfile.mkdtemp(prefix="bphub-"))
    workdir.chmod(0o711)  # learners pass through to course/, but cannot list or read hub/
    (workdir / "hub").mkdir(mode=0o700)
    (workdir / "course").mkdir(mode=0o755)
    prefix = f"bphub-{secrets.token_hex(3)}-"
    accounts: list[Account] = []
    hub = None
    try:
        accounts = create_accounts(prefix, user_password=secrets.token_urlsafe(12),
                                   admin_password=secrets.token_urlsafe(32), roles=roles)
        course = clone_course(workdir / "course")
        install_nbgrader_config(workdir / "course")
        (workdir / "exchange").mkdir()
        (workdir / "exchange").chmod(0o777)  # as nbgrader's docs make /srv/nbgrader/exchange
        hub = Hub(workdir, accounts, course)
        hub.start()
        yield hub
    finally:
        problems = teardown(hub, accounts, workdir)
    assert not problems, "the hub session left things behind:\n" + "\n".join(problems)


def teardown(hub: Hub | None, accounts: list[Account], workdir: Path) -> list[str]:
    """Stop the hub, end the users' processes, remove the users and the folder; then look for
    anything left. Each step runs even when an earlier one failed. Returns the problems."""
    problems = []
    try:
        if hub is not None:
            problems += hub.stop()
    finally:
        # A kernel can take a moment to finish the shutdown its stopped server asked for: give the
        # users' processes that long to end on their own before calling them left behind.
        _wait_until_gone({a.uid for a in accounts}, USER_EXIT_GRACE_S)
        killed = _kill_processes_of({a.uid for a in accounts})
        if killed:
            problems.append(f"processes of the test users still running after the hub stopped (killed): {killed}")
        problems += remove_accounts(accounts)
        shutil.rmtree(workdir, ignore_errors=True)
    return problems + leftovers(accounts, hub.ports.values() if hub else (), workdir)


def leftovers(accounts: list[Account], ports, workdir: Path) -> list[str]:
    """Anything of the session still on the machine: processes of its users, listening ports of
    the hub and proxy, home folders, users or groups, the temporary folder, files of its users in
    the shared temporary folders."""
    found = []
    uids = {a.uid for a in accounts}
    if processes := _processes_of(uids):
        found.append(f"processes of the test users: {processes}")
    if listening := [port for port in ports if _listening(port)]:
        found.append(f"ports still listening: {listening}")
    for account in accounts:
        if account.home.exists():
            found.append(f"home folder left: {account.home}")
        for database in ("passwd", "group"):
            if subprocess.run(["getent", database, account.name], capture_output=True).returncode == 0:
                found.append(f"{account.name} still in {database}")
    if workdir.exists():
        found.append(f"temporary folder left: {workdir}")
    if files := files_of(uids):
        found.append(f"files of the test users left in the shared temporary folders: {files}")
    return found


def files_of(uids: set[int], folders=SHARED_TMP) -> list[str]:
    """Entries of `folders` (not their contents) owned by one of `uids`: what a user's process
    leaves in a shared temporary folder lies there, and outlives the user."""
    found = []
    for folder in map(Path, folders):
        with contextlib.suppress(FileNotFoundError):
            found += [str(entry) for entry in folder.iterdir()
                      if _owner(entry) in uids]
    return found


def _owner(path: Path) -> int | None:
    try:
        return path.lstat().st_uid
    except FileNotFoundError:  # gone while we looked
        return None


# ---- helpers ---------------------------------------------------------------------------
def _wait_until_gone(uids: set[int], seconds: float) -> None:
    """Wait up to `seconds` until no process of `uids` runs."""
    deadline = time.monotonic() + seconds
    while _processes_of(uids) and time.monotonic() < deadline:
        time.sleep(0.2)


def _run(cmd: list[str]) -> str:
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: exit {done.returncode}: {done.stderr.strip()}")
    return done.stdout


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _processes_of(uids: set[int]) -> dict[int, str]:
    """pid -> command of every live (not zombie) process owned by one of `uids`."""
    out = subprocess.run(["ps", "-A", "-o", "pid=,uid=,stat=,args="], capture_output=True, text=True,
                         check=True).stdout
    found = {}
    for line in out.splitlines():
        pid, uid, state, *command = line.split(None, 3)
        if int(uid) in uids and not state.startswith("Z"):
            found[int(pid)] = command[0][:200] if command else ""
    return found


def _kill_processes_of(uids: set[int]) -> dict[int, str]:
    """SIGKILL, by pid, each process of `uids` (started by this session's hub). Returns them."""
    found = _processes_of(uids)
    for pid in found:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while _processes_of(uids) and time.monotonic() < deadline:
        time.sleep(0.1)
    return found


def _group_members(pgid: int) -> list[int]:
    out = subprocess.run(["ps", "-A", "-o", "pid=,pgid="], capture_output=True, text=True, check=True).stdout
    return [int(pid) for pid, group in (line.split() for line in out.splitlines()) if int(group) == pgid]

"""deploy/k8s and deploy/compose: rendered, schema-validated and checked for the operating rules.

No cluster and no Docker engine here: the kustomizations are rendered by deploy/k8s/render.py
(compared with ``kubectl kustomize`` where kubectl exists) and every manifest is validated with
kubernetes-validate against a pinned Kubernetes version; the compose file goes through Debian's
``docker-compose config`` (installed by .ci/run).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qs, urlsplit

import kubernetes_validate
import pytest
import yaml

from contracts.topics import ALL_TOPICS, dlq
from services.intake.settings import IntakeSettings
from services.kit.settings import DEFAULT_PORTS, SERVICE_NAMES, Settings
from services.matching.settings import MatchingSettings
from services.notifications.settings import NotificationsSettings
from services.reporting.settings import ReportingSettings

#: Every service's settings class: a shared ConfigMap or env file holds values some service reads.
SERVICE_SETTINGS: tuple[type[Settings], ...] = (
    IntakeSettings,
    MatchingSettings,
    NotificationsSettings,
    ReportingSettings,
)
KNOWN_FIELDS = {name for kind in SERVICE_SETTINGS for name in kind.model_fields}


def validate_for_every_service(values: dict[str, str]) -> dict[type[Settings], Settings]:
    """Each service's settings from the same variables (each class takes the fields it knows)."""
    fields = {k.removeprefix("SAMENLOKET_").lower(): v for k, v in values.items()}
    return {
        kind: kind.model_validate({k: v for k, v in fields.items() if k in kind.model_fields})
        for kind in SERVICE_SETTINGS
    }


ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
COMPOSE = ROOT / "deploy" / "compose"
KUBERNETES_VERSION = "1.30.0"
TARGETS = ("base", "overlays/dev", "overlays/production")
CONSUMERS = ("matching", "notifications", "reporting")
SECRET_NAME = "samenloket-secrets"


def _load_renderer() -> ModuleType:
    spec = importlib.util.spec_from_file_location("deploy_k8s_render", K8S / "render.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


render = _load_renderer().render


def rendered(target: str) -> list[dict[str, Any]]:
    return list(render(K8S / target))


def of_kind(manifests: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {m["metadata"]["name"]: m for m in manifests if m["kind"] == kind}


def pod_specs(manifests: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (m["metadata"]["name"], m["spec"]["template"]["spec"]) for m in manifests if m["kind"] in ("Deployment", "Job")
    ]


def env_of(container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["name"]: e for e in container.get("env", [])}


# --- Kubernetes -------------------------------------------------------------------------------


@pytest.mark.parametrize("target", TARGETS)
def test_every_manifest_passes_the_kubernetes_schema(target: str) -> None:
    manifests = rendered(target)
    kinds = {m["kind"] for m in manifests}
    assert {"Deployment", "Service", "ConfigMap", "Job", "PodDisruptionBudget", "NetworkPolicy"} <= kinds
    assert "HorizontalPodAutoscaler" in kinds
    for manifest in manifests:
        kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize("target", TARGETS)
def test_every_container_is_locked_down_and_bounded(target: str) -> None:
    pods = pod_specs(rendered(target))
    assert len(pods) == len(SERVICE_NAMES) + 1  # the services and the setup Job
    for name, pod in pods:
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["automountServiceAccountToken"] is False, name
        tmp_volumes = {v["name"] for v in pod["volumes"] if "emptyDir" in v}
        for container in pod["containers"]:
            context = container["securityContext"]
            assert context["runAsNonRoot"] is True and context["runAsUser"] == 10001, name
            assert context["readOnlyRootFilesystem"] is True, name
            assert context["allowPrivilegeEscalation"] is False, name
            assert context["capabilities"]["drop"] == ["ALL"], name
            assert context["seccompProfile"]["type"] == "RuntimeDefault", name
            for bound in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(container["resources"][bound]), (name, bound)
            assert any(m["mountPath"] == "/tmp" and m["name"] in tmp_volumes for m in container["volumeMounts"]), name


@pytest.mark.parametrize("target", TARGETS)
def test_each_service_runs_serve_with_probes_on_its_port(target: str) -> None:
    manifests = rendered(target)
    deployments = of_kind(manifests, "Deployment")
    services = of_kind(manifests, "Service")
    assert set(deployments) == set(SERVICE_NAMES)
    for name, deployment in deployments.items():
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        port = DEFAULT_PORTS[name]
        assert container["args"] == ["serve", name]
        assert container["ports"] == [{"name": "http", "containerPort": port, "protocol": "TCP"}]
        assert env_of(container)["SAMENLOKET_PORT"]["value"] == str(port)
        assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
        assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
        pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
        selector = services[name]["spec"]["selector"]
        assert selector.items() <= pod_labels.items()
        assert deployment["spec"]["selector"]["matchLabels"] == selector
        assert services[name]["spec"]["ports"][0]["port"] == port


@pytest.mark.parametrize("target", TARGETS)
def test_settings_come_from_the_config_map_and_secret_references(target: str) -> None:
    manifests = rendered(target)
    assert "Secret" not in {m["kind"] for m in manifests}, "secrets are referenced, never shipped"
    config = of_kind(manifests, "ConfigMap")["samenloket-config"]
    values = {k: v for k, v in config["data"].items() if k.startswith("SAMENLOKET_")}
    assert set(values) - {"SAMENLOKET_" + f.upper() for f in KNOWN_FIELDS} == set()
    placeholders = {
        "SAMENLOKET_DATABASE_URL": "postgresql://u@db/x",
        "SAMENLOKET_ENCRYPTION_KEYS": "",
        "SAMENLOKET_INDEX_KEY": "",
    }
    validate_for_every_service(values | placeholders)
    for name, pod in pod_specs(manifests):
        (container,) = pod["containers"]
        assert container["envFrom"] == [{"configMapRef": {"name": config["metadata"]["name"]}}]
        env = env_of(container)
        for variable in ("SAMENLOKET_DATABASE_URL", "SAMENLOKET_INTERNAL_TOKEN", "SAMENLOKET_ENCRYPTION_KEYS"):
            assert env[variable]["valueFrom"]["secretKeyRef"]["name"] == SECRET_NAME, (name, variable)
        assert env["SAMENLOKET_INDEX_KEY"]["valueFrom"]["secretKeyRef"]["name"] == SECRET_NAME, name
        for variable, entry in env.items():
            assert variable.removeprefix("SAMENLOKET_").lower() in KNOWN_FIELDS, variable
            assert "value" not in entry or variable == "SAMENLOKET_PORT", f"{variable} must not be inline"


@pytest.mark.parametrize("target", TARGETS)
def test_disruption_budgets_and_autoscalers(target: str) -> None:
    manifests = rendered(target)
    deployments = of_kind(manifests, "Deployment")
    budgets = of_kind(manifests, "PodDisruptionBudget")
    assert set(budgets) == set(deployments)
    for name, budget in budgets.items():
        assert budget["spec"]["selector"]["matchLabels"] == deployments[name]["spec"]["selector"]["matchLabels"]
    autoscalers = of_kind(manifests, "HorizontalPodAutoscaler")
    assert set(autoscalers) == set(CONSUMERS)
    partitions = int(of_kind(manifests, "ConfigMap")["samenloket-config"]["data"]["SAMENLOKET_KAFKA_TOPIC_PARTITIONS"])
    for name, autoscaler in autoscalers.items():
        assert autoscaler["apiVersion"] == "autoscaling/v2"
        assert autoscaler["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
        assert 1 <= autoscaler["spec"]["minReplicas"] <= autoscaler["spec"]["maxReplicas"] <= partitions


INGRESS_NAMESPACE = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}


def _admits_anyone(rule: dict[str, Any]) -> bool:
    """A rule without peers admits traffic from anywhere."""
    return not rule.get("from")


def _admits_only_namespace_and_ingress(rule: dict[str, Any]) -> bool:
    """Every peer is a pod of this namespace or the ingress controller's namespace."""
    return all(set(peer) == {"podSelector"} or peer == INGRESS_NAMESPACE for peer in rule.get("from", []))


@pytest.mark.parametrize("target", TARGETS)
def test_only_intake_accepts_traffic_from_anywhere(target: str) -> None:
    """Intake serves residents and partners; staff pages and opt-out links come in through the ingress."""
    manifests = rendered(target)
    policies = list(of_kind(manifests, "NetworkPolicy").values())
    deny = [p for p in policies if p["spec"]["podSelector"] == {} and "ingress" not in p["spec"]]
    assert deny and deny[0]["spec"]["policyTypes"] == ["Ingress"], "a default-deny ingress policy"
    open_to: dict[str, set[int]] = {name: set() for name in SERVICE_NAMES}
    anyone: set[str] = set()
    for policy in policies:
        selected = policy["spec"]["podSelector"].get("matchLabels", {}).get("app.kubernetes.io/name")
        for rule in policy["spec"].get("ingress", []):
            assert selected in SERVICE_NAMES
            open_to[selected] |= {p["port"] for p in rule["ports"]}
            if _admits_anyone(rule):
                anyone.add(selected)
            else:
                assert _admits_only_namespace_and_ingress(rule), f"{selected} admits {rule['from']}"
    assert anyone == {"intake"}
    assert open_to == {name: {DEFAULT_PORTS[name]} for name in SERVICE_NAMES}


@pytest.mark.parametrize("target", TARGETS)
def test_the_setup_job_migrates_then_creates_topics(target: str) -> None:
    (job,) = of_kind(rendered(target), "Job").values()
    (container,) = job["spec"]["template"]["spec"]["containers"]
    assert container["command"] == ["sh", "-c", "samenloket migrate && samenloket topics"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "OnFailure"


def test_dev_runs_one_small_instance_each() -> None:
    manifests = rendered("overlays/dev")
    for name, deployment in of_kind(manifests, "Deployment").items():
        assert deployment["spec"]["replicas"] == 1, name
        assert deployment["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["memory"] == "384Mi"
    assert {a["spec"]["minReplicas"] for a in of_kind(manifests, "HorizontalPodAutoscaler").values()} == {1}


def test_production_uses_kafka_sasl_ssl_and_database_tls() -> None:
    manifests = rendered("overlays/production")
    deployments = of_kind(manifests, "Deployment")
    assert deployments["matching"]["spec"]["replicas"] == 3
    assert of_kind(manifests, "HorizontalPodAutoscaler")["matching"]["spec"]["minReplicas"] == 3
    data = of_kind(manifests, "ConfigMap")["samenloket-config"]["data"]
    assert data["SAMENLOKET_KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
    assert data["SAMENLOKET_KAFKA_SASL_MECHANISM"] == "SCRAM-SHA-512"
    assert data["SAMENLOKET_KAFKA_REPLICATION_FACTOR"] == "3"
    for name, pod in pod_specs(manifests):
        (container,) = pod["containers"]
        env = env_of(container)
        for variable, key in (("SAMENLOKET_KAFKA_SASL_USERNAME", "kafka-sasl-username"),
                              ("SAMENLOKET_KAFKA_SASL_PASSWORD", "kafka-sasl-password")):  # fmt: skip
            assert env[variable]["valueFrom"]["secretKeyRef"] == {"name": SECRET_NAME, "key": key}, name
        mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
        volumes = {v["name"]: v for v in pod["volumes"]}
        for path in (data["SAMENLOKET_KAFKA_SSL_CAFILE"], data["PGSSLROOTCERT"]):
            folder, file = path.rsplit("/", 1)
            volume = volumes[mounts[folder]]
            assert [item["path"] for item in volume["secret"]["items"]] == [file], (name, path)
        if name == "matching":
            assert container["resources"]["limits"] == {"cpu": "2", "memory": "1Gi"}
    example = yaml.safe_load((K8S / "secret.example.yaml").read_text())
    assert example["metadata"]["name"] == SECRET_NAME
    url = urlsplit(example["stringData"]["database-url"])
    assert parse_qs(url.query)["sslmode"] == ["verify-full"]


def test_strimzi_component_declares_every_topic_and_its_dlq() -> None:
    base = rendered("base")
    spec = yaml.safe_load((K8S / "components/strimzi-topics/kustomization.yaml").read_text())
    assert spec["kind"] == "Component"
    topics = [doc for doc in yaml.safe_load_all((K8S / "components/strimzi-topics/kafkatopics.yaml").read_text())]
    names = [t["spec"]["topicName"] for t in topics]
    assert sorted(names) == sorted([*ALL_TOPICS, *(dlq(t) for t in ALL_TOPICS)])
    for topic in topics:
        assert topic["apiVersion"] == "kafka.strimzi.io/v1beta2" and topic["kind"] == "KafkaTopic"
        assert topic["metadata"]["name"] == topic["spec"]["topicName"]
        assert topic["spec"]["partitions"] == 6 and topic["spec"]["replicas"] == 3
        assert topic["metadata"]["labels"]["strimzi.io/cluster"]
    assert "KafkaTopic" not in {m["kind"] for m in base}, "the component is optional"


def test_strimzi_component_plugs_into_an_overlay(tmp_path: Path) -> None:
    spec = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "namespace": "samenloket",  # as in the overlays, so the topics land there too
        "resources": [os.path.relpath(K8S / "overlays/production", tmp_path)],
        "components": [os.path.relpath(K8S / "components/strimzi-topics", tmp_path)],
    }
    (tmp_path / "kustomization.yaml").write_text(yaml.safe_dump(spec))
    manifests = render(tmp_path)
    topics = of_kind(manifests, "KafkaTopic")
    assert len(topics) == 2 * len(ALL_TOPICS)
    assert {t["metadata"]["namespace"] for t in topics.values()} == {"samenloket"}
    assert len(of_kind(manifests, "Deployment")) == len(SERVICE_NAMES)
    if shutil.which("kubectl"):
        result = subprocess.run(["kubectl", "kustomize", str(tmp_path)], capture_output=True, text=True, check=False)
        if "unknown command" not in result.stderr:
            assert result.returncode == 0, result.stderr
            theirs = {(m["kind"], m["metadata"]["name"]): m for m in yaml.safe_load_all(result.stdout) if m}
            assert theirs == {(m["kind"], m["metadata"]["name"]): m for m in manifests}


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed: render.py not cross-checked")
@pytest.mark.parametrize("target", TARGETS)
def test_render_agrees_with_kubectl_kustomize(target: str) -> None:
    result = subprocess.run(["kubectl", "kustomize", str(K8S / target)], capture_output=True, text=True, check=False)
    if result.returncode != 0 and "unknown command" in result.stderr:
        pytest.skip("this kubectl has no kustomize")
    assert result.returncode == 0, result.stderr
    theirs = {(m["kind"], m["metadata"]["name"]): m for m in yaml.safe_load_all(result.stdout) if m}
    mine = {(m["kind"], m["metadata"]["name"]): m for m in rendered(target)}
    assert mine == theirs


# --- Docker Compose ---------------------------------------------------------------------------


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((COMPOSE / "compose.yaml").read_text())
    return loaded


def _env_file(path: Path) -> dict[str, str]:
    lines = [line for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")]
    return dict(line.split("=", 1) for line in lines)


def test_compose_env_file_holds_valid_settings_shared_by_every_instance() -> None:
    values = _env_file(COMPOSE / "samenloket.env")
    unknown = {k for k in values if k.removeprefix("SAMENLOKET_").lower() not in KNOWN_FIELDS}
    assert unknown == set()
    every = validate_for_every_service(values)
    intake = every[IntakeSettings]
    assert isinstance(intake, IntakeSettings)
    assert intake.encryption_keys.get_secret_value() and intake.index_key.get_secret_value()
    settings = every[ReportingSettings]
    assert settings.internal_token.get_secret_value()
    services = _compose()["services"]
    for name in (*SERVICE_NAMES, "setup"):
        assert services[name]["env_file"] == "samenloket.env", name
        assert set(services[name].get("environment", {})) <= {"SAMENLOKET_PORT"}, "secrets only in the env file"
    postgres = _env_file(COMPOSE / "postgres.env")
    url = urlsplit(settings.database_url)
    assert (url.username, url.password, url.path) == (
        postgres["POSTGRES_USER"],
        postgres["POSTGRES_PASSWORD"],
        "/" + postgres["POSTGRES_DB"],
    )


def test_compose_services_wait_for_setup_and_only_intake_is_public() -> None:
    services = _compose()["services"]
    assert services["kafka"]["image"].startswith("apache/kafka:")
    assert services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert services["postgres"]["image"].startswith("postgres:16")
    assert {"mailpit", "otel-collector", "jaeger", "prometheus"} <= set(services)
    assert services["setup"]["depends_on"] == {
        "postgres": {"condition": "service_healthy"},
        "kafka": {"condition": "service_healthy"},
    }
    assert "samenloket migrate && samenloket topics" in services["setup"]["entrypoint"][-1]
    assert services["setup"]["read_only"] is True and services["setup"]["cap_drop"] == ["ALL"]
    for name in SERVICE_NAMES:
        service = services[name]
        assert service["command"] == ["serve", name]
        assert service["depends_on"]["setup"] == {"condition": "service_completed_successfully"}
        assert (
            "/readyz" in service["healthcheck"]["test"][-1]
            and str(DEFAULT_PORTS[name]) in service["healthcheck"]["test"][-1]
        )
        assert service["read_only"] is True and service["cap_drop"] == ["ALL"]
    assert services["matching"]["deploy"]["replicas"] == 2
    for name, service in services.items():
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:") or (name, port) == ("intake", "8001:8001"), (name, port)
    prometheus = yaml.safe_load((COMPOSE / "prometheus.yml").read_text())
    scraped = {c["dns_sd_configs"][0]["names"][0]: c["dns_sd_configs"][0]["port"] for c in prometheus["scrape_configs"]}
    assert scraped == DEFAULT_PORTS


def _compose_command() -> list[str] | None:
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


@pytest.mark.skipif(_compose_command() is None, reason="docker-compose is not installed (.ci/run installs it)")
def test_docker_compose_config_accepts_the_file() -> None:
    command = _compose_command()
    assert command is not None
    result = subprocess.run(
        [*command, "-f", str(COMPOSE / "compose.yaml"), "config"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    resolved = yaml.safe_load(result.stdout)
    assert resolved["services"]["matching"]["deploy"]["replicas"] == 2
    assert resolved["services"]["intake"]["environment"]["SAMENLOKET_PORT"] == "8001"
    assert resolved["services"]["intake"]["depends_on"]["setup"]["condition"] == "service_completed_successfully"


@pytest.mark.parametrize("target", TARGETS)
def test_behind_the_ingress_forwarded_addresses_are_believed_from_the_pod_range_only(target: str) -> None:
    from services.kit.web.clients import parse_networks

    data = of_kind(rendered(target), "ConfigMap")["samenloket-config"]["data"]
    networks = parse_networks(data["SAMENLOKET_TRUSTED_PROXIES"])
    assert networks, "without trusted proxies every resident behind the ingress shares one rate-limit budget"
    assert all(net.is_private and net.prefixlen >= 8 for net in networks), networks


def test_compose_believes_no_forwarded_address() -> None:
    assert _env_file(COMPOSE / "samenloket.env")["SAMENLOKET_TRUSTED_PROXIES"] == ""


def test_every_service_reads_the_region_file_from_the_region_configmap_in_kubernetes_and_compose() -> None:
    """SAMENLOKET_REGION_FILE names the mounted ConfigMap's file; its text is the shipped demo region's."""
    root = Path(__file__).parents[2]
    base = root / "deploy" / "k8s" / "base"
    docs = [d for f in sorted(base.glob("*.yaml")) for d in yaml.safe_load_all(f.read_text()) if d]
    config = next(d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "samenloket-config")
    region = next(d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "samenloket-region")
    assert config["data"]["SAMENLOKET_REGION_FILE"] == "/etc/samenloket/region/region.toml"
    assert region["data"]["region.toml"] == (root / "regions" / "drechtsteden.toml").read_text()
    deployments = [d for d in docs if d["kind"] == "Deployment"]
    assert {d["metadata"]["name"] for d in deployments} == set(SERVICE_NAMES)
    for deployment in deployments:
        pod = deployment["spec"]["template"]["spec"]
        volume = next(v for v in pod["volumes"] if v["name"] == "region")
        assert volume["configMap"]["name"] == "samenloket-region"
        (mount,) = [m for c in pod["containers"] for m in c["volumeMounts"] if m["name"] == "region"]
        assert mount == {"name": "region", "mountPath": "/etc/samenloket/region", "readOnly": True}
    env = (root / "deploy" / "compose" / "samenloket.env").read_text()
    assert "SAMENLOKET_REGION_FILE=/etc/samenloket/regions/drechtsteden.toml" in env
    compose = yaml.safe_load((root / "deploy" / "compose" / "compose.yaml").read_text())
    assert "../../regions:/etc/samenloket/regions:ro" in compose["x-samenloket"]["volumes"]

"""The privacy officer's objects in intake's container: built once per process, no I/O."""

from __future__ import annotations

from dataclasses import dataclass

from services.intake.privacy_officer.deliveries import Deliveries
from services.intake.privacy_officer.retention import Retention
from services.intake.settings import IntakeSettings
from services.intake.vault import Vault
from services.kit.runtime import Runtime


@dataclass(frozen=True)
class PrivacyOfficer:
    rt: Runtime
    settings: IntakeSettings
    vault: Vault
    #: The key of the resident blind indexes (the look-up by e-mail address or phone number).
    index_key: bytes
    deliveries: Deliveries
    retention: Retention


def build(rt: Runtime, settings: IntakeSettings, vault: Vault, index_key: bytes) -> PrivacyOfficer:
    deliveries = Deliveries(settings)
    rt.closing(deliveries.aclose)
    retention = Retention(rt, settings.retention_years, settings.retention_check_seconds)
    return PrivacyOfficer(rt, settings, vault, index_key, deliveries, retention)

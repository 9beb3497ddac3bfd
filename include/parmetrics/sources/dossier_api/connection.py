"""Where the dossier API is and how patiently to talk to it (an Airflow http connection, SOURCES.md §1)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit


@dataclass(frozen=True)
class ApiConnection:
    """Where the dossier API is and how patiently to talk to it. The token never appears in repr."""

    base_url: str
    token: str = field(repr=False)
    timeout: float = 30.0
    max_attempts: int = 6
    backoff_initial: float = 0.5
    backoff_max: float = 30.0
    max_retry_after: float = 120.0

    @classmethod
    def from_parts(cls, host: str, port: int | None, schema: str | None, token: str, **options: Any) -> ApiConnection:
        """From an Airflow http connection's fields: ``schema`` is the URL scheme (http/https)."""
        if not host:
            raise ValueError("dossier API connection has no host")
        if "://" in host:  # hosts written as full URLs are common in Airflow http connections
            url = urlsplit(host)
            scheme, host, port = url.scheme, url.hostname or "", port or url.port
        else:
            scheme = (schema or "http").lower()
        if scheme not in ("http", "https"):
            raise ValueError(f"dossier API connection schema must be http or https, not {scheme!r}")
        netloc = f"{host}:{port}" if port else host
        return cls(f"{scheme}://{netloc}", token or "", **options)

    @classmethod
    def from_uri(cls, uri: str, **options: Any) -> ApiConnection:
        """From an Airflow connection URI such as ``http://:TOKEN@host:8080/https``.

        Airflow puts the connection's ``schema`` in the URI path; when it is absent the URI's own
        scheme (``http``/``https``) is used.
        """
        url = urlsplit(uri)
        path_schema = url.path.strip("/") or None
        schema = path_schema or (url.scheme if url.scheme in ("http", "https") else "http")
        token = unquote(url.password or "")
        return cls.from_parts(url.hostname or "", url.port, schema, token, **options)

    @classmethod
    def from_airflow_connection(cls, conn: Any, **options: Any) -> ApiConnection:
        """From an Airflow ``Connection`` (or anything with host/port/schema/password)."""
        return cls.from_parts(conn.host, conn.port, conn.schema, conn.password or "", **options)

    @classmethod
    def from_airflow(cls, conn_id: str = "dossier_api", **options: Any) -> ApiConnection:
        from airflow.sdk import BaseHook  # imported here: the package must import without Airflow

        return cls.from_airflow_connection(BaseHook.get_connection(conn_id), **options)

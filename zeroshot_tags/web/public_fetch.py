"""Downloads a server makes on a user's behalf: public internet addresses only.

A URL whose host is or resolves to a loopback, private, link-local or other non-public
address is refused with a clear message. The check is repeated where each socket connects,
on the address it connects to, so neither a redirect nor a DNS answer that changes between
check and connection (DNS rebinding) can reach inside the network.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.util import connection

from ..errors import ImageError


class NonPublicAddressError(OSError):
    """A connection to a non-public address was refused."""


def check_public_url(url: str) -> None:
    """Refuse ``url`` unless it is http(s) and every address of its host is public.

    Raises:
        ImageError: another scheme, no host, an unknown host, or a non-public address.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ImageError(f"{url}: only http(s) URLs with a host can be fetched")
    try:
        public_addresses(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
    except NonPublicAddressError as error:
        raise ImageError(f"{url}: refused, {error}") from error
    except socket.gaierror as error:
        raise ImageError(f"{url}: unknown host {parts.hostname}") from error


def public_addresses(host: str, port: int) -> list[tuple]:
    """``getaddrinfo`` answers for ``host``, all of them public.

    Raises:
        NonPublicAddressError: one of the addresses is not public.
        socket.gaierror: the host cannot be resolved.
    """
    answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    for *_, sockaddr in answers:
        address = ipaddress.ip_address(sockaddr[0].split("%")[0])
        address = getattr(address, "ipv4_mapped", None) or address
        if not address.is_global:
            raise NonPublicAddressError(f"{host} is a {_kind(address)} address ({address})")
    return answers


def public_session() -> requests.Session:
    """A requests session whose every connection (redirects included) goes to public
    addresses only, ignoring proxy settings from the environment."""
    session = requests.Session()
    session.trust_env = False
    adapter = _PublicOnlyAdapter()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def _kind(address) -> str:
    for kind in ("loopback", "link_local", "unspecified", "multicast", "reserved", "private"):
        if getattr(address, f"is_{kind}"):
            return kind.replace("_", "-")
    return "non-public"


class _PublicOnlyConnection(HTTPConnection):
    def _new_conn(self) -> socket.socket:
        sockaddr = public_addresses(self._dns_host, self.port)[0][4]
        return connection.create_connection(sockaddr[:2], self.timeout,
                                            source_address=self.source_address,
                                            socket_options=self.socket_options)


class _PublicOnlyHTTPSConnection(HTTPSConnection):
    _new_conn = _PublicOnlyConnection._new_conn


class _PublicOnlyAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": type("PublicHTTPPool", (HTTPConnectionPool,), {"ConnectionCls": _PublicOnlyConnection}),
            "https": type("PublicHTTPSPool", (HTTPSConnectionPool,),
                          {"ConnectionCls": _PublicOnlyHTTPSConnection}),
        }

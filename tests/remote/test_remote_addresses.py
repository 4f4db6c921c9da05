"""Which addresses are public: IPv6 forms that embed an IPv4 address are judged by it too."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from amparo.errors import UnsafeURLError
from amparo.remote import check_url, embedded_ipv4, is_public

V4 = ipaddress.IPv4Address
V6 = ipaddress.IPv6Address

# Every IPv4 range that is not globally reachable (IANA special-purpose registry), and
# multicast, which is "global" to Python but never a web server.
NON_GLOBAL_V4 = [
    ipaddress.IPv4Network(n)
    for n in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/29",
        "192.0.2.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",
        "240.0.0.0/4",
    )
]


def _in(network: ipaddress.IPv4Network) -> st.SearchStrategy[V4]:
    return st.integers(int(network.network_address), int(network.broadcast_address)).map(V4)


non_global_v4 = st.sampled_from(NON_GLOBAL_V4).flatmap(_in)
any_v4 = st.integers(0, 2**32 - 1).map(V4)
bits = st.integers


def _teredo(server: V4, client: V4, flags: int, port: int) -> V6:
    # RFC 4380: 2001:0000:<server>:<flags>:<port ^ 0xffff>:<client ^ 0xffffffff>
    return V6(
        (0x20010000 << 96)
        | (int(server) << 64)
        | (flags << 48)
        | ((port ^ 0xFFFF) << 32)
        | (int(client) ^ 0xFFFFFFFF)
    )


@st.composite
def embedding_non_global_v4(draw: st.DrawFn) -> tuple[V6, V4]:
    """An IPv6 address that carries a non-global IPv4 address, in one of the forms a network
    may route to it, with every other bit random."""
    inner = draw(non_global_v4)
    v4 = int(inner)
    form = draw(st.sampled_from(["mapped", "compatible", "translated", "nat64", "6to4", "teredo"]))
    if form == "mapped":
        return V6((0xFFFF << 32) | v4), inner
    if form == "compatible":
        return V6(v4), inner
    if form == "translated":
        return V6((0xFFFF << 48) | v4), inner
    if form == "nat64":
        return V6((0x0064FF9B << 96) | v4), inner
    if form == "6to4":
        return V6((0x2002 << 112) | (v4 << 80) | draw(bits(0, 2**80 - 1))), inner
    other = draw(any_v4)
    server, client = (inner, other) if draw(st.booleans()) else (other, inner)
    return _teredo(server, client, draw(bits(0, 2**16 - 1)), draw(bits(0, 2**16 - 1))), inner


@given(embedding_non_global_v4())
def test_an_ipv6_address_embedding_a_non_global_ipv4_is_refused(
    case: tuple[V6, V4],
) -> None:
    ip, inner = case
    assert inner in embedded_ipv4(ip)
    assert not is_public(ip)
    with pytest.raises(UnsafeURLError, match="does not resolve to public addresses"):
        check_url(f"http://[{ip}]/a.jpg")


@given(non_global_v4)
def test_a_non_global_ipv4_is_refused(ip: V4) -> None:
    assert not is_public(ip)


@given(bits(0, 2**80 - 1))
def test_the_local_use_nat64_prefix_is_never_public(rest: int) -> None:
    assert not is_public(V6((0x0064FF9B0001 << 80) | rest))


@pytest.mark.parametrize(
    "address", ["::127.0.0.1", "64:ff9b::7f00:1", "2002:7f00:1::1", "::ffff:10.0.0.1"]
)
def test_the_reported_forms_are_refused(address: str) -> None:
    """The issue's three: Python 3.11 calls them global."""
    with pytest.raises(UnsafeURLError):
        check_url(f"http://[{address}]/x.jpg")


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:4700::6810:84e5", "64:ff9b::808:808"])
def test_public_addresses_pass(address: str) -> None:
    assert is_public(ipaddress.ip_address(address))

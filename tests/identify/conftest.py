"""Shared synthetic photo sets for the identification tests (generated once per session)."""

from __future__ import annotations

import pytest

from bigcats.identify.coats import generate_dataset


@pytest.fixture(scope="session")
def moderate_tigers(tmp_path_factory):
    """A moderate-difficulty set: 16 tigers x 6 photos (3 encounters, each shooting both flanks)."""
    out = tmp_path_factory.mktemp("moderate_tigers")
    labels = generate_dataset(out, individuals=16, photos=6, species="tiger", level="moderate", seed=7)
    return out, labels


@pytest.fixture(scope="session")
def easy_leopards(tmp_path_factory):
    """A small easy set of leopards for the CLI and batch tests."""
    out = tmp_path_factory.mktemp("easy_leopards")
    labels = generate_dataset(out, individuals=4, photos=4, species="leopard", level="easy", seed=3)
    return out, labels

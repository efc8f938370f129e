"""Fixtures shared by the test modules; plain helpers live in support.py."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """An HTTP client for talking to servers started by a test."""
    async with aiohttp.ClientSession() as session:
        yield session

import pytest

from skastro.datasets import make_microlensing_alerts


@pytest.fixture(scope="session")
def small_alerts():
    return make_microlensing_alerts(60, n_days=12, cadence_hours=2.5, random_state=3)

"""Settings shared by the test suite."""

from hypothesis import settings

# Property tests check behaviour, not speed (speed is measured in benchmarks/): no per-example
# deadline, which a loaded CI machine would otherwise trip at random.
settings.register_profile("riskmodel", deadline=None)
settings.load_profile("riskmodel")

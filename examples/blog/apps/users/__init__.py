"""users: the people who write. This app has no hook implementations: its
services module starts and stops its own state with initialize()/teardown().
"""

"""The scenario engine: one scenario from world to verdict.

``runner`` drives a scenario (seed the world through ``seeding``, connect observers, perform each step
from ``steps``, settle, judge with ``evaluate``); ``recorder`` keeps the run's history; ``nemesis``,
``browser_observers``, ``leak_probe`` and ``ui_checks`` are the runner's parts that need I/O;
``session_api`` is what those parts may use of a running scenario; ``suite`` runs many scenarios
against one target; ``scenario`` is the declarative scenario format; ``results`` the run's result.
"""

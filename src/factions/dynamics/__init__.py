"""Pure mathematical kernels of faction dynamics, each checked against published results.

The kernel modules below are independent of one another and import nothing from the rest of
factions except the random-generator helper; the simulation's own modules in this package
build on them. Import them directly:

- :mod:`factions.dynamics.elections`: seat allocation (D'Hondt, Sainte-Laguë, Hare largest
  remainder, Iraq's 2009 provincial rule).
- :mod:`factions.dynamics.coalitions`: weighted voting games (Shapley-Shubik and Banzhaf
  power), Riker's minimal winning coalitions, Gamson's law, Baron-Ferejohn bargaining.
- :mod:`factions.dynamics.security`: Richardson's arms race, Kydd's trust and the security
  dilemma, Epstein's civil violence.
- :mod:`factions.dynamics.balance`: structural balance of signed graphs (Cartwright-Harary,
  Antal-Krapivsky-Redner, Marvel et al.).
- :mod:`factions.dynamics.patronage`: grim-trigger loyalty of clients.

Every kernel's equation, source and oracle is listed in ``docs/dynamics-kernels.md``.

The other modules here are the simulation's **mechanisms** (``power``, ``clientele``,
``dilemma``, ``alliances``, ``events``, ``voting``, ``state``); the monthly loop calls them
only through the **simulation steps** of :mod:`factions.steps`, which declare what each
reads and writes.
"""

__all__: list[str] = []

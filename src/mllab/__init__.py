r"""mllab: the machine-learning course as software.

Machine learning is looking for a function: (1) a set of functions (``mllab.nn``), (2) the
goodness of a function (``mllab.losses``), (3) picking the best one (``mllab.optim``,
``mllab.train``). Every lecture claim is an experiment in ``mllab.experiments`` that
``mllab run NAME`` executes and judges from measured numbers.

Importing ``mllab`` is cheap: subpackages load when imported.
"""

__version__ = "0.1.0"

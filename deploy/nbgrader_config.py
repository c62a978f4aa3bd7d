"""nbgrader's configuration for the course on a JupyterHub: how learners submit their exercises
and the instructor collects them (nbgrader's exchange, a folder every user of the hub can reach).

Install it where every user's nbgrader reads it, in the environment the users' servers run:
on The Littlest JupyterHub, /opt/tljh/user/etc/jupyter/nbgrader_config.py; in the Kubernetes user
image, ${NB_PYTHON_PREFIX}/etc/jupyter/ (postBuild). The hub tests (tests/hub) use this file as it is.
"""

import os

c = get_config()  # noqa: F821 - provided by nbgrader when it loads this file

c.CourseDirectory.course_id = "backprop"

# The exchange: a folder on the hub's server every user can write to, made once by the admin
# (README: mkdir, chmod 777; nbgrader does not create it). On Kubernetes, a volume shared by every
# user's pod, mounted here. NBGRADER_EXCHANGE moves it (the tests use a temporary folder).
c.Exchange.root = os.environ.get("NBGRADER_EXCHANGE", "/srv/nbgrader/exchange")

# nbgitpuller clones the course into ~/backprop-course, so the assignment "exercises" is already in
# every learner's home as ~/backprop-course/exercises: the Assignments tab lists it as fetched, with
# a Submit button, and `nbgrader submit exercises` submits that folder.
c.Exchange.assignment_dir = os.path.expanduser("~/backprop-course")

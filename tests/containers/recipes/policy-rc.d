#!/bin/sh
# Packages installed while building an image must not start their services (no init runs
# there, and a started server would outlive the build step or hang it): refuse every start.
exit 101

"""The one-command demo: ``python -m hub.demo`` seeds a sandbox world, builds a hub for it and serves both.

:mod:`hub.demo.world` and :mod:`hub.demo.history` seed the sandbox tenants, :mod:`hub.demo.provision`
builds the hub through the real services, :mod:`hub.demo.servers` runs the web servers in threads,
:mod:`hub.demo.check` verifies a running demo over HTTP and :mod:`hub.demo.cli` ties them together.
"""

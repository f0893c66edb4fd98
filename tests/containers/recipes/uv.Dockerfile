# Stand-in for ghcr.io/astral-sh/uv:X: only the two static binaries, like the upstream image.
FROM scratch
COPY uv uvx /
ENTRYPOINT ["/uv"]

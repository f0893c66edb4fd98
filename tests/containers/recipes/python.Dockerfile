# Stand-in for python:X-slim: the machine's pyenv build on a Debian 12 minbase root.
FROM fastcel-standin/bookworm:base
COPY python/ /usr/local/
# The machine's trust store on top of Debian's (empty when left out): behind a TLS-inspecting
# proxy, pip and uv reach PyPI only through it. uv trusts its own built-in roots unless
# SSL_CERT_FILE names a bundle (for OpenSSL it is the default path anyway).
COPY host-ca.crt /usr/local/share/ca-certificates/fastcel-host-bundle.crt
ARG PYTHON_VERSION
ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin \
    LANG=C.UTF-8 \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
    PYTHON_VERSION=${PYTHON_VERSION}
# The pyenv build links libpython with an rpath to its pyenv folder, absent here: ldconfig
# makes /usr/local/lib/libpython3.X.so.1.0 findable.
RUN ldconfig \
    && if [ -s /usr/local/share/ca-certificates/fastcel-host-bundle.crt ]; then \
           update-ca-certificates >/dev/null; \
       else rm /usr/local/share/ca-certificates/fastcel-host-bundle.crt; fi \
    && python3 -c "import ssl, sqlite3, ctypes, lzma, bz2, zlib, uuid"
CMD ["python3"]

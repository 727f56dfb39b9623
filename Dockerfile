# sluice in a container: Debian 12 slim, the .deb installed (apt resolves its Depends:), run as a
# non-root user. Builds offline from the package `make deb` wrote; nothing else is downloaded
# except the Debian packages the .deb depends on (from your apt mirror).
#   make deb
#   cp build-release/sluice_*.deb .
#   docker build -t sluice .
#   docker run --rm -v "$PWD:/work" sluice run        # runs /work/sluice.yml
FROM debian:12-slim
COPY sluice_*.deb /tmp/
RUN apt-get update \
 && apt-get install -y --no-install-recommends /tmp/sluice_*.deb git ca-certificates \
 && rm -rf /var/lib/apt/lists/* /tmp/sluice_*.deb \
 && useradd --create-home --uid 10001 sluice
USER sluice
WORKDIR /work
ENTRYPOINT ["sluice"]
CMD ["--help"]

# rsentinel container image: build with the Rust image, run on slim Debian,
# as an unprivileged user.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY examples ./examples
RUN cargo build --release --bin rsentinel

FROM debian:bookworm-slim
# A fixed uid/gid (999) so that volumes can be prepared for it on the host.
RUN groupadd --system --gid 999 rsentinel \
    && useradd --system --uid 999 --gid rsentinel --home-dir /data --no-create-home \
       --shell /usr/sbin/nologin rsentinel \
    && mkdir -p /data \
    && chown rsentinel:rsentinel /data
COPY --from=build /src/target/release/rsentinel /usr/local/bin/rsentinel
COPY docker/entrypoint.sh /usr/local/bin/rsentinel-entrypoint
# The config template is read-only; the entrypoint copies it into the
# writable volume /data, because Sentinel rewrites its config file (and
# keeps its lock file, sentinel.conf.lock, beside it).
COPY docker/sentinel.conf /etc/rsentinel/sentinel.conf
VOLUME /data
USER rsentinel:rsentinel
# No redis-cli in the image: rsentinel pings itself (exit 0 on +PONG).
# The port is the template's; a service that changes it (--port) sets its
# own healthcheck, as docker-compose.yaml does.
HEALTHCHECK --interval=5s --timeout=3s --retries=5 CMD ["rsentinel", "--ping", "127.0.0.1:26379"]
ENTRYPOINT ["/usr/local/bin/rsentinel-entrypoint"]

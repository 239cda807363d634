# rsentinel container image: build with the Rust image, run on slim Debian.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY examples ./examples
RUN cargo build --release --bin rsentinel

FROM debian:bookworm-slim
# redis-tools only for the healthcheck (`redis-cli -p 5000 ping`).
RUN apt-get update \
    && apt-get install -y --no-install-recommends redis-tools \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/rsentinel /usr/local/bin/rsentinel
COPY docker/entrypoint.sh /usr/local/bin/rsentinel-entrypoint
# The config template is read-only; the entrypoint copies it into the
# writable volume /data, because Sentinel rewrites its config file.
COPY docker/sentinel.conf /etc/rsentinel/sentinel.conf
VOLUME /data
ENTRYPOINT ["/usr/local/bin/rsentinel-entrypoint"]

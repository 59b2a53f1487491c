# syntax=docker/dockerfile:1
# MiSinkhole for linux/amd64, linux/arm64 (Raspberry Pi 4/5, 64-bit OS) and linux/arm/v7:
#   docker buildx build --platform linux/amd64,linux/arm64,linux/arm/v7 -t misinkhole .
# The build stage runs on the build machine and cross-publishes for the target: a native (ahead-of-
# time compiled) daemon for amd64 and arm64, linked by clang (with the other architecture's C
# runtime when it cross-links); for arm/v7, which .NET's native compilation does not target, a
# trimmed self-contained one. The runtime image holds only that, as a non-root user allowed to bind
# port 53.
# A test runs this file's `dotnet publish` line for linux-x64 and linux-arm64 (and the arm64
# result under qemu), so keep the publish command on one RUN line starting with `dotnet publish`.

FROM --platform=$BUILDPLATFORM mcr.microsoft.com/dotnet/sdk:10.0 AS build
ARG TARGETARCH
ARG BUILDARCH
RUN apt-get update && apt-get install -y --no-install-recommends clang lld \
    $(case "$BUILDARCH/$TARGETARCH" in amd64/arm64) echo gcc-aarch64-linux-gnu libc6-dev-arm64-cross ;; arm64/amd64) echo gcc-x86-64-linux-gnu libc6-dev-amd64-cross ;; esac) \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN case "$TARGETARCH" in amd64) echo linux-x64 ;; arm64) echo linux-arm64 ;; arm) echo linux-arm ;; *) exit 1 ;; esac > /tmp/rid
RUN case "$TARGETARCH" in arm) echo "--self-contained true -p:PublishTrimmed=true" ;; *) echo "-p:PublishAot=true" ;; esac > /tmp/build
RUN dotnet publish src/MiSinkhole -c Release -r $(cat /tmp/rid) $(cat /tmp/build) -p:CopyOutputSymbolsToPublishDirectory=false -o /app

FROM mcr.microsoft.com/dotnet/runtime-deps:10.0-noble
# Binding port 53 as the unprivileged user: a file capability on the program, nothing more.
COPY --from=build /app /app
RUN apt-get update && apt-get install -y --no-install-recommends libcap2-bin \
 && setcap cap_net_bind_service=+ep /app/misinkhole \
 && apt-get purge -y libcap2-bin && apt-get autoremove -y && rm -rf /var/lib/apt/lists/*
COPY config/misinkhole.json /config/misinkhole.json
COPY config/rules /config/rules
# rules/local/ holds the user's decisions (misinkhole review, run with docker exec as app): never
# in the image (.dockerignore), created empty and writable, and kept in the /config volume. The
# web page writes its changes (a policy switch, a named client) to the config file by renaming a
# new copy over it, so the app user owns /config and the file too.
RUN mkdir -p /data /config/rules/local && chown app:app /data /config /config/misinkhole.json /config/rules/local
USER app
VOLUME ["/config", "/data"]
EXPOSE 53/udp 53/tcp 9153/tcp
ENV DOTNET_GCgen0size=0x200000
# The state volume, as an environment variable rather than a run argument, so that the verbs run
# with `docker exec` (review, api-token) find the API token the daemon made there.
ENV MISINKHOLE__DataDirectory=/data
HEALTHCHECK --interval=30s --timeout=10s --start-period=20s CMD ["/app/misinkhole", "health", "--config", "/config/misinkhole.json"]
ENTRYPOINT ["/app/misinkhole"]
CMD ["run", "--config", "/config/misinkhole.json"]

# images/demo/api/recipe.sh - rt-demo/api: the NestJS application in this
# folder on Debian 12's Node.js, in the shape of the image the shipped
# conf.d/api.conf names (apps/api/Dockerfile.prod): user nestjs, the
# application in /app, started as `node dist/main.js`. The TypeScript is
# compiled here with the locked dependencies (npm ci, from the npm
# registry, cached in ~/.npm), and only the production dependencies go
# into the image. (Sourced by images/demo/build.sh; see docs/demo.md.)

PACKAGES=(nodejs)
USERS=(nestjs:904:/app)

customize() {
    local root=$1 work
    work=$(mktemp -d "$WORK/npm.XXXXXX")
    cp -a package.json package-lock.json tsconfig.json src "$work/"
    # --ignore-scripts: no package's install script runs on the build
    # machine (none of these needs one: no native modules).
    (cd "$work" &&
        npm ci --ignore-scripts --no-audit --no-fund --prefer-offline --loglevel=warn &&
        npm run --silent build &&
        npm prune --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=warn) || return $?
    install -d -m 0755 "$root/app"
    cp -a "$work/package.json" "$work/package-lock.json" "$work/dist" "$work/node_modules" "$root/app/"
    chown -R 0:0 "$root/app"
    # The service's only writable place in the image: its log volume.
    install -d -o 904 -g 904 -m 0750 "$root/app/logs"
    rm -rf "$work"
}

CONFIG='{
  "User": "nestjs",
  "WorkingDir": "/app",
  "Cmd": ["node", "dist/main.js"],
  "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
          "NODE_ENV=production", "PORT=3001", "NO_COLOR=1"],
  "ExposedPorts": {"3001/tcp": {}}
}'

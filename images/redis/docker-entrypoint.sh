#!/bin/sh
# Like the official redis image: "redis-server ..." (or just flags) runs Redis with
# protected mode off, because the official image compiles it off and clients
# connect from other containers. Anything else is run as given.
set -e
if [ "${1#-}" != "$1" ]; then set -- redis-server "$@"; fi
if [ "$1" = redis-server ]; then
  shift
  case " $* " in *" --version "*|*" -v "*|*" --help "*|*" -h "*) exec redis-server "$@" ;; esac
  if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then   # first argument is a config file
    conf=$1; shift
    exec redis-server "$conf" --protected-mode no "$@"
  fi
  exec redis-server --protected-mode no "$@"
fi
exec "$@"

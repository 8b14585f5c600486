#!/usr/bin/env bash
# Builds Revive's AppImage from the files of the .deb that `tauri bundle` just made for PROFILE
# (debug or release): the app's folder (AppDir) gets the libraries the app needs that a desktop may
# lack (WebKitGTK, GTK and what they use) and the helpers WebKit and GTK load at run time, is
# squashed, and goes after our own runtime (crates/appimage-runtime) with the digest it checks.
# Tauri's AppImage bundler would download linuxdeploy and the AppImage runtime from GitHub, which
# these machines cannot reach; this needs only the distribution's packages.
set -euo pipefail
cd "$(dirname "$0")/.."

PROFILE=${1:?usage: scripts/appimage.sh debug|release}
MULTIARCH=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
SYSTEM_LIB=/usr/lib/$MULTIARCH
RUNTIME=target/release/revive-appimage-runtime
shopt -s nullglob
debs=(target/"$PROFILE"/bundle/deb/*/data)
[ ${#debs[@]} -eq 1 ] || { echo "appimage: expected one unpacked .deb under target/$PROFILE/bundle/deb, found ${#debs[@]}" >&2; exit 1; }
name=$(basename "$(dirname "${debs[0]}")")
out=target/$PROFILE/bundle/appimage
appdir=$out/Revive.AppDir
rm -rf "$out"
mkdir -p "$out"
cp -a "${debs[0]}" "$appdir"
lib=$appdir/usr/lib/$MULTIARCH
mkdir -p "$lib"

# What GTK and WebKit load by path rather than link: WebKit's web and network processes and its
# injected bundle, GTK's print backends (the label printer's dialog), GIO modules, image loaders,
# and the settings schemas GTK's file chooser reads.
cp -a "$SYSTEM_LIB/webkit2gtk-4.1" "$lib/"
rm -f "$lib/webkit2gtk-4.1/MiniBrowser"
mkdir -p "$lib/gtk-3.0/3.0.0" "$lib/gio" "$lib/gdk-pixbuf-2.0/2.10.0"
cp -a "$SYSTEM_LIB/gtk-3.0/3.0.0/printbackends" "$lib/gtk-3.0/3.0.0/"
cp -a "$SYSTEM_LIB/gio/modules" "$lib/gio/"
rm -f "$lib/gio/modules/giomodule.cache"
cp -a "$SYSTEM_LIB/gdk-pixbuf-2.0/2.10.0/loaders" "$lib/gdk-pixbuf-2.0/2.10.0/"
# The loaders' list names them from usr/, the folder AppRun starts the app in.
sed "s|\"$SYSTEM_LIB/|\"./lib/$MULTIARCH/|" "$SYSTEM_LIB/gdk-pixbuf-2.0/2.10.0/loaders.cache" > "$lib/gdk-pixbuf-2.0/2.10.0/loaders.cache"
mkdir -p "$appdir/usr/share/glib-2.0/schemas"
cp /usr/share/glib-2.0/schemas/gschemas.compiled "$appdir/usr/share/glib-2.0/schemas/"

# Every library those programs and modules link, except the ones the desktop's own must serve
# (scripts/appimage-desktop-libraries.txt: the C library, the graphics driver's, X and Wayland, fonts).
SYSTEM_OWN="^($(grep -v -e '^#' -e '^$' scripts/appimage-desktop-libraries.txt | paste -sd '|'))\\.so"
elves() {
  find "$appdir" -type f -exec sh -c 'for f; do [ "$(head -c4 "$f" | od -An -tx1 | tr -d " ")" = 7f454c46 ] && echo "$f"; done; true' sh {} +
}
mapfile -t programs < <(elves)
[ ${#programs[@]} -gt 10 ] || { echo "appimage: found only ${#programs[@]} programs and libraries in $appdir" >&2; exit 1; }
linked=$(ldd "${programs[@]}" 2>/dev/null || true)
for library in $(awk '$2 == "=>" && $3 ~ /^\// { print $3 }' <<<"$linked" | sort -u); do
  soname=$(basename "$library")
  [[ $soname =~ $SYSTEM_OWN ]] && continue
  [ -e "$lib/$soname" ] || cp -L "$library" "$lib/$soname"
done
missing=$(grep "not found" <<<"$linked" | sort -u || true)
[ -z "$missing" ] || { echo "appimage: libraries not found on this machine:" >&2; echo "$missing" >&2; exit 1; }

# Each program and library looks for the bundled ones first, wherever it sits in the folder
# (stripped before patchelf moves their sections about).
strip --strip-debug "$appdir/usr/bin/revive-app" "$appdir/usr/bin/revive"
mapfile -t elves_now < <(elves)
for elf in "${elves_now[@]}"; do
  chmod u+w "$elf"
  patchelf --set-rpath "\$ORIGIN/$(realpath --relative-to="$(dirname "$elf")" "$lib")" "$elf"
done
# WebKit finds its processes and injected bundle at the path it was built with: make it one
# relative to usr/, the folder AppRun starts the app in (same length, so only bytes change).
webkit=$lib/libwebkit2gtk-4.1.so.0
perl -0777 -pi -e "s|\Q/usr/lib/$MULTIARCH/webkit2gtk-4.1\E|././/lib/$MULTIARCH/webkit2gtk-4.1|g" "$webkit"
if grep -q -a "/usr/lib/$MULTIARCH/webkit2gtk-4.1" "$webkit" || ! grep -q -a "././/lib/$MULTIARCH/webkit2gtk-4.1" "$webkit"; then
  echo "appimage: WebKit's helper path was not where it was expected in $webkit" >&2
  exit 1
fi

# The AppImage's face: its desktop entry and icon at the top.
cp "$appdir/usr/share/applications/Revive.desktop" "$appdir/Revive.desktop"
cp "$appdir/usr/share/icons/hicolor/128x128/apps/revive-app.png" "$appdir/revive-app.png"
ln -sf revive-app.png "$appdir/.DirIcon"
cat > "$appdir/AppRun" <<EOF
#!/bin/sh
# Started by the runtime with APPDIR set: through a link named revive, the command-line tool;
# otherwise the app, in usr/ (WebKit and the image loaders find their files from there) with
# GTK's modules and settings schemas from this folder. The app finds its own files next to itself:
# it is not told APPIMAGE or APPDIR, which Tauri expects under the temporary folder and warns of
# elsewhere.
set -e
usr="\$APPDIR/usr"
case "\$(basename "\${ARGV0:-Revive}")" in
  revive) exec "\$usr/bin/revive" "\$@" ;;
esac
# The temporary folder and the paths README names as settings, made absolute while the
# person's folder is still the working one.
for name in TMPDIR REVIVE_DATA_DIR REVIVE_FAKE_NVML REVIVE_FAKE_NVML_SCENARIO REVIVE_SCENARIOS REVIVE_PROCEDURES REVIVE_FONTS REVIVE_STRESS_WORKER; do
  eval "value=\\\${\$name:-}"
  case "\$value" in ''|/*) ;; *) export "\$name=\$PWD/\$value" ;; esac
done
export GTK_PATH="\$usr/lib/$MULTIARCH/gtk-3.0"
export GIO_MODULE_DIR="\$usr/lib/$MULTIARCH/gio/modules"
export GDK_PIXBUF_MODULE_FILE="\$usr/lib/$MULTIARCH/gdk-pixbuf-2.0/2.10.0/loaders.cache"
export GSETTINGS_SCHEMA_DIR="\$usr/share/glib-2.0/schemas"
export XDG_DATA_DIRS="\$usr/share:\${XDG_DATA_DIRS:-/usr/local/share:/usr/share}"
cd "\$usr"
unset APPIMAGE APPDIR
exec "\$usr/bin/revive-app" "\$@"
EOF
chmod 755 "$appdir/AppRun"

squashfs=$out/$name.squashfs
image=$out/$name.AppImage
# Small to download when released; quick for the tests' debug build (seconds, not minutes).
level=$([ "$PROFILE" = release ] && echo 15 || echo 3)
mksquashfs "$appdir" "$squashfs" -noappend -root-owned -no-xattrs -comp zstd -Xcompression-level "$level" -quiet -no-progress
cp "$RUNTIME" "$image.part"
# The runtime's place for the digest follows its mark, found exactly once; AI\x02 at byte 8.
perl -e '
  my ($image, $digest) = @ARGV;
  open(my $file, "+<:raw", $image) or die "$image: $!";
  local $/; my $bytes = <$file>;
  my $mark = "revive-appimage-image-sha256:\0\0\0";
  my @at; my $from = 0;
  while ((my $found = index($bytes, $mark, $from)) >= 0) { push @at, $found; $from = $found + 1; }
  @at == 1 or die "the runtime has " . scalar(@at) . " digest marks\n";
  seek($file, $at[0] + length($mark), 0); print $file pack("H64", $digest);
  seek($file, 8, 0); print $file "AI\x02";
  close($file) or die;
' "$image.part" "$(sha256sum "$squashfs" | cut -d' ' -f1)"
cat "$squashfs" >> "$image.part"
chmod 755 "$image.part"
mv "$image.part" "$image"
rm -f "$squashfs"
echo "appimage: $image ($(du -h "$image" | cut -f1))"

#!/usr/bin/env python3
"""Package metadata for the files of a scratch image, from the build stage's dpkg database.

    sbom.py ROOTFS NAME VERSION

Runs in the Dockerfile's rootfs stage, after the runtime files were copied into ROOTFS. For each
file under ROOTFS it asks dpkg which Debian package installed it (files that no package owns are
appcore's own), then writes

  ROOTFS/var/lib/dpkg/status.d/<package>   the package's dpkg status stanza, one file per package:
                                           the layout distroless images use, which image scanners
                                           (Trivy, Grype) read to find the OS packages of an image
                                           without a dpkg database;
  ROOTFS/etc/os-release, etc/debian_version  so scanners know the distribution release;
  ROOTFS/usr/share/appcore/sbom.cdx.json    a CycloneDX 1.5 SBOM: the operating system, the Debian
                                           packages (with purls) and appcore itself.

A scratch image otherwise has no package metadata at all, and a scanner would report "no packages"
and therefore no vulnerabilities.
"""
import json
import os
import shutil
import subprocess
import sys
import urllib.parse


def owner(path):
    """The Debian package that owns `path` (an absolute path as the image holds it), or None."""
    candidates = [path]
    if path.startswith(("/lib", "/bin", "/sbin")):
        candidates.append("/usr" + path)
    real = os.path.realpath(path)
    candidates += [real]
    if real.startswith("/usr/"):
        candidates.append(real[4:])
    for c in candidates:
        r = subprocess.run(["dpkg-query", "-S", c], capture_output=True, text=True)
        if r.returncode == 0:
            # "libc6:amd64: /lib/x86_64-linux-gnu/libc.so.6"
            return r.stdout.split(":", 1)[0].split(",")[0].strip()
    return None


def query(package, fmt):
    return subprocess.run(["dpkg-query", "-W", "-f", fmt, package], check=True,
                          capture_output=True, text=True).stdout


def os_release():
    fields = {}
    with open("/etc/os-release", encoding="utf-8") as f:
        for line in f:
            if "=" in line:
                k, v = line.rstrip("\n").split("=", 1)
                fields[k] = v.strip('"')
    return fields


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: sbom.py ROOTFS NAME VERSION")
    rootfs, name, version = sys.argv[1:]
    rootfs = os.path.abspath(rootfs)
    packages = {}
    unowned = []
    for dirpath, _, files in os.walk(rootfs):
        for f in files:
            image_path = os.path.join(dirpath, f)[len(rootfs):]
            if image_path.startswith(("/etc/", "/var/", "/usr/share/appcore/")):
                continue  # our config, model and passwd entries; metadata written below
            pkg = owner(image_path)
            if pkg is None:
                unowned.append(image_path)
            else:
                packages.setdefault(pkg, []).append(image_path)

    osr = os_release()
    distro = f"{osr['ID']}-{open('/etc/debian_version', encoding='utf-8').read().strip()}"
    status_dir = os.path.join(rootfs, "var/lib/dpkg/status.d")
    os.makedirs(status_dir, exist_ok=True)
    for src in ("/etc/os-release", "/etc/debian_version"):
        shutil.copyfile(src, os.path.join(rootfs, src.lstrip("/")))

    os_ref = f"os:{distro}"
    components = [{
        "type": "operating-system", "bom-ref": os_ref, "name": osr["ID"],
        "version": open("/etc/debian_version", encoding="utf-8").read().strip(),
        "description": osr.get("PRETTY_NAME", ""),
    }]
    refs = []
    for pkg in sorted(packages):
        stanza = subprocess.run(["dpkg-query", "-s", pkg], check=True, capture_output=True,
                                text=True).stdout
        with open(os.path.join(status_dir, pkg), "w", encoding="utf-8") as out:
            out.write(stanza)
        pkg_version, arch, src, src_version = query(
            pkg, "${Version}\t${Architecture}\t${source:Package}\t${source:Version}").split("\t")
        purl = "pkg:deb/{}/{}@{}?arch={}&distro={}".format(
            osr["ID"], pkg, urllib.parse.quote(pkg_version, safe=""), arch, distro)
        if src != pkg:
            purl += "&upstream=" + urllib.parse.quote(f"{src}@{src_version}", safe="")
        refs.append(purl)
        components.append({
            "type": "library", "bom-ref": purl, "name": pkg, "version": pkg_version,
            "purl": purl, "supplier": {"name": "Debian"},
            "properties": [{"name": "appcore:files", "value": " ".join(sorted(packages[pkg]))}]
            + ([{"name": "aquasecurity:trivy:SrcName", "value": src},
                {"name": "aquasecurity:trivy:SrcVersion", "value": src_version}]),
        })
    app_ref = f"pkg:generic/{name}@{version}"
    components.append({
        "type": "application", "bom-ref": app_ref, "name": name, "version": version,
        "purl": app_ref, "licenses": [{"license": {"id": "MIT"}}],
        "properties": [{"name": "appcore:files", "value": " ".join(sorted(unowned))}],
    })
    bom = {
        "bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
        "metadata": {
            "tools": {"components": [{"type": "application", "name": "appcore deploy/image/sbom.py"}]},
            "component": {"type": "container", "bom-ref": f"image:{name}@{version}", "name": name,
                          "version": version},
        },
        "components": components,
        "dependencies": [
            {"ref": f"image:{name}@{version}", "dependsOn": [os_ref, app_ref]},
            {"ref": os_ref, "dependsOn": refs},
            {"ref": app_ref, "dependsOn": refs},
        ] + [{"ref": r, "dependsOn": []} for r in refs],
    }
    out_path = os.path.join(rootfs, "usr/share/appcore/sbom.cdx.json")
    os.makedirs(os.path.dirname(out_path), exist_ok=True)
    with open(out_path, "w", encoding="utf-8") as out:
        json.dump(bom, out, indent=1, sort_keys=False)
        out.write("\n")
    print(f"sbom: {len(packages)} Debian packages ({', '.join(sorted(packages))}), "
          f"{len(unowned)} appcore files, {distro}")


if __name__ == "__main__":
    main()

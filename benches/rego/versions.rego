# rules/versions.parity in Rego: every env runs the same Kubernetes, runtime
# and OS as the reference env.
#
# parity's `all envs with nodes agree on X` compares each env's value with
# that of the last env (in promotion order) the `with`/`where` filter keeps,
# which is the reference env whenever it has nodes.
package parity

import data.parity.lib
import rego.v1

# Envs that list at least one Node, in promotion order.
node_envs := [env |
	some env in lib.order
	count(lib.objects(env, "Node")) > 0
]

node_base := node_envs[count(node_envs) - 1]

# ---------------------------------------------------------------- kubelet-version-parity

kubelet_minors[env] := {m |
	some n in lib.objects(env, "Node")
	m := lib.minor(n.status.nodeInfo.kubeletVersion)
} if some env in node_envs

violation contains lib.env_finding("kubelet-version-parity", env, msg) if {
	some env in node_envs
	env != node_base
	kubelet_minors[env] != kubelet_minors[node_base]
	msg := sprintf("%s runs kubelet %v, %s runs %v", [env, kubelet_minors[env], node_base, kubelet_minors[node_base]])
}

# ---------------------------------------------------------------- container-runtime-parity

# "containerd 1.7" for containerd://1.7.22.
runtime_minor(n) := sprintf("%s %s", [runtime, lib.minor(version)]) if {
	text := n.status.nodeInfo.containerRuntimeVersion
	i := indexof(text, "://")
	i >= 0
	runtime := substring(text, 0, i)
	version := substring(text, i + 3, -1)
}

runtimes[env] := {r |
	some n in lib.objects(env, "Node")
	r := runtime_minor(n)
} if some env in node_envs

violation contains lib.env_finding("container-runtime-parity", env, msg) if {
	some env in node_envs
	env != node_base
	runtimes[env] != runtimes[node_base]
	msg := sprintf("%s runs %v, %s runs %v", [env, runtimes[env], node_base, runtimes[node_base]])
}

# ---------------------------------------------------------------- node-platform-parity

platforms[env] := {p |
	some n in lib.objects(env, "Node")
	os := n.status.nodeInfo.operatingSystem
	arch := n.status.nodeInfo.architecture
	is_string(os)
	is_string(arch)
	p := concat("/", [os, arch])
} if some env in node_envs

violation contains lib.env_finding("node-platform-parity", env, msg) if {
	some env in node_envs
	env != node_base
	platforms[env] != platforms[node_base]
	msg := sprintf("%s offers %v, %s offers %v", [env, platforms[env], node_base, platforms[node_base]])
}

# ---------------------------------------------------------------- server-version-parity

# Envs read from snapshots know their server version.
versioned_envs := [env |
	some env in lib.order
	lib.has(input.envs[env].version)
]

violation contains lib.env_finding("server-version-parity", env, msg) if {
	base := versioned_envs[count(versioned_envs) - 1]
	some env in versioned_envs
	env != base
	lib.minor(input.envs[env].version) != lib.minor(input.envs[base].version)
	msg := sprintf("%s runs %s, %s runs %s", [env, input.envs[env].version, base, input.envs[base].version])
}

# rules/workloads.parity in Rego: limits, privileges, host access.
package parity

import data.parity.lib
import rego.v1

# ---------------------------------------------------------------- container-memory-limits

violation contains lib.finding("container-memory-limits", env, w, msg) if {
	some env in lib.order
	some w in lib.workloads[env]
	some c in lib.containers(w)
	not lib.has(c.resources.limits.memory)
	msg := sprintf("%s %s has a container without a memory limit", [w.kind, lib.name(w)])
}

# ---------------------------------------------------------------- no-privileged-containers

violation contains lib.finding("no-privileged-containers", env, w, msg) if {
	some env in lib.order
	some w in lib.workloads[env]
	some c in lib.containers(w)
	c.securityContext.privileged == true
	msg := sprintf("%s %s runs a privileged container", [w.kind, lib.name(w)])
}

# ---------------------------------------------------------------- container-cpu-requests

violation contains lib.finding("container-cpu-requests", env, w, msg) if {
	some env in lib.order
	some w in lib.workloads[env]
	some c in lib.containers(w)
	not lib.has(c.resources.requests.cpu)
	msg := sprintf("%s %s has a container without a CPU request", [w.kind, lib.name(w)])
}

# ---------------------------------------------------------------- no-host-network

violation contains lib.finding("no-host-network", env, w, msg) if {
	some env in lib.order
	some w in lib.workloads[env]
	lib.pod_spec(w).hostNetwork == true
	not startswith(w.metadata.namespace, "kube-")
	msg := sprintf("%s %s uses the host network", [w.kind, lib.name(w)])
}

# ---------------------------------------------------------------- no-hostpath-volumes

violation contains lib.finding("no-hostpath-volumes", env, w, msg) if {
	some env in lib.order
	some w in lib.workloads[env]
	some v in lib.pod_spec(w).volumes
	lib.has(v.hostPath)
	not startswith(w.metadata.namespace, "kube-")
	msg := sprintf("%s %s mounts a hostPath volume", [w.kind, lib.name(w)])
}

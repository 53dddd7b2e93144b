/**
 * Numeric OIDs the SNMP provider reads (no MIB files needed). Scalars end in `.0`; table columns are bases to walk,
 * their rows indexed as the MIB says (noted beside each). Standard MIBs only: SNMPv2-MIB, IF-MIB, IP-MIB, IP-FORWARD-MIB,
 * HOST-RESOURCES-MIB, EtherLike-MIB, ENTITY-MIB, IEEE8023-LAG-MIB, SNMP-FRAMEWORK-MIB, and UCD-SNMP-MIB (net-snmp).
 */

/** SNMPv2-MIB and SNMP-FRAMEWORK-MIB scalars. */
export const SYSTEM = Object.freeze({
  sysUpTime: "1.3.6.1.2.1.1.3.0",
  sysName: "1.3.6.1.2.1.1.5.0",
  /** snmpEngineID: unique per agent; the serial number of last resort. */
  snmpEngineId: "1.3.6.1.6.3.10.2.1.1.0",
});

/** HOST-RESOURCES-MIB. */
export const HOST_RESOURCES = Object.freeze({
  /** hrProcessorLoad, per processor (index hrDeviceIndex), percent over the last minute. */
  hrProcessorLoad: "1.3.6.1.2.1.25.3.3.1.2",
  /** hrStorageType (index hrStorageIndex): an OID naming the kind of storage. */
  hrStorageType: "1.3.6.1.2.1.25.2.3.1.2",
  hrStorageAllocationUnits: "1.3.6.1.2.1.25.2.3.1.4",
  hrStorageSize: "1.3.6.1.2.1.25.2.3.1.5",
  hrStorageUsed: "1.3.6.1.2.1.25.2.3.1.6",
  /** The value of hrStorageType for RAM. */
  hrStorageRam: "1.3.6.1.2.1.25.2.1.2",
});

/** UCD-SNMP-MIB (net-snmp's own): CPU and memory where HOST-RESOURCES has none. */
export const UCD = Object.freeze({
  /** ssCpuIdle: idle percent over the last sample period (absent on recent Linux snmpd). */
  ssCpuIdle: "1.3.6.1.4.1.2021.11.11.0",
  /** ssCpuRaw* tick counters: user, nice, system (on Linux system + irq + softirq), idle, wait, steal. */
  ssCpuRawUser: "1.3.6.1.4.1.2021.11.50.0",
  ssCpuRawNice: "1.3.6.1.4.1.2021.11.51.0",
  ssCpuRawSystem: "1.3.6.1.4.1.2021.11.52.0",
  ssCpuRawIdle: "1.3.6.1.4.1.2021.11.53.0",
  ssCpuRawWait: "1.3.6.1.4.1.2021.11.54.0",
  ssCpuRawSteal: "1.3.6.1.4.1.2021.11.64.0",
  /** memTotalReal and memAvailReal, kB. */
  memTotalReal: "1.3.6.1.4.1.2021.4.5.0",
  memAvailReal: "1.3.6.1.4.1.2021.4.6.0",
});

/** IF-MIB ifTable and ifXTable columns, EtherLike-MIB dot3StatsFCSErrors; all indexed by ifIndex. */
export const INTERFACES = Object.freeze({
  ifDescr: "1.3.6.1.2.1.2.2.1.2",
  ifInOctets: "1.3.6.1.2.1.2.2.1.10",
  ifInUcastPkts: "1.3.6.1.2.1.2.2.1.11",
  ifInDiscards: "1.3.6.1.2.1.2.2.1.13",
  ifInErrors: "1.3.6.1.2.1.2.2.1.14",
  ifOutOctets: "1.3.6.1.2.1.2.2.1.16",
  ifOutUcastPkts: "1.3.6.1.2.1.2.2.1.17",
  ifOutDiscards: "1.3.6.1.2.1.2.2.1.19",
  ifOutErrors: "1.3.6.1.2.1.2.2.1.20",
  ifName: "1.3.6.1.2.1.31.1.1.1.1",
  ifHCInOctets: "1.3.6.1.2.1.31.1.1.1.6",
  ifHCInUcastPkts: "1.3.6.1.2.1.31.1.1.1.7",
  ifHCInMulticastPkts: "1.3.6.1.2.1.31.1.1.1.8",
  ifHCInBroadcastPkts: "1.3.6.1.2.1.31.1.1.1.9",
  ifHCOutOctets: "1.3.6.1.2.1.31.1.1.1.10",
  ifHCOutUcastPkts: "1.3.6.1.2.1.31.1.1.1.11",
  ifHCOutMulticastPkts: "1.3.6.1.2.1.31.1.1.1.12",
  ifHCOutBroadcastPkts: "1.3.6.1.2.1.31.1.1.1.13",
  ifAlias: "1.3.6.1.2.1.31.1.1.1.18",
  dot3StatsFCSErrors: "1.3.6.1.2.1.10.7.2.1.3",
  /** IEEE8023-LAG-MIB dot3adAggPortAttachedAggID (index: the port's ifIndex; value: the LAG's ifIndex, 0 if none). */
  dot3adAggPortAttachedAggId: "1.2.840.10006.300.43.1.2.1.1.13",
});

/** IP-MIB addresses and IP-FORWARD-MIB routes. */
export const ROUTING = Object.freeze({
  /** ipAddressIfIndex, index `addrType.len.bytes...` (RFC 4293). */
  ipAddressIfIndex: "1.3.6.1.2.1.4.34.1.3",
  /** ipAddressPrefix, same index: a pointer whose last sub-identifier is the prefix length. */
  ipAddressPrefix: "1.3.6.1.2.1.4.34.1.5",
  /** ipAdEntIfIndex and ipAdEntNetMask, index `a.b.c.d` (RFC 1213, deprecated but common). */
  ipAdEntIfIndex: "1.3.6.1.2.1.4.20.1.2",
  ipAdEntNetMask: "1.3.6.1.2.1.4.20.1.3",
  /** inetCidrRouteIfIndex, index `destType.len.dest.pfxLen.policyLen.policy....nhType.len.nextHop` (RFC 4292). */
  inetCidrRouteIfIndex: "1.3.6.1.2.1.4.24.7.1.7",
  /** ipCidrRouteIfIndex, index `dest(4).mask(4).tos.nextHop(4)` (RFC 2096). */
  ipCidrRouteIfIndex: "1.3.6.1.2.1.4.24.4.1.5",
});

/** ENTITY-MIB entPhysicalClass (3 = chassis) and entPhysicalSerialNum, index entPhysicalIndex. */
export const ENTITY = Object.freeze({
  entPhysicalClass: "1.3.6.1.2.1.47.1.1.1.1.5",
  entPhysicalSerialNum: "1.3.6.1.2.1.47.1.1.1.1.11",
  chassisClass: 3,
});

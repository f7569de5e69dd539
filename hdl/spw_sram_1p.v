// SPDX-License-Identifier: Apache-2.0
// Single-port synchronous SRAM model with bit write mask.
`timescale 1ns / 1ps
`default_nettype none

// spw_sram_1p: one port, one access per cycle (read or masked write).
//
// Latency: a read (req_i & !we_i) in cycle c presents rdata_o in cycle c+1;
// rdata_o then HOLDS until the next read, like a real SRAM macro's output
// latch, so consumers may sample it late.  A write does not disturb rdata_o.
// Assumptions: no reset on the array (it is a RAM); contents start from
// INIT_FILE ($readmemh) when given, else undefined (X in 4-state simulators).
// addr_i must be < DEPTH when req_i is high (out-of-range writes are dropped,
// out-of-range reads return X).
module spw_sram_1p #(
    // bits per word
    parameter integer WIDTH = 32,
    // words in the array
    parameter integer DEPTH = 1024,
    // hex image loaded at time 0 with $readmemh; "" = none
    parameter INIT_FILE = ""
) (
    input  wire                     clk_i,
    /* request: one read or one masked write per cycle */
    input  wire                     req_i,
    input  wire                     we_i,
    input  wire [$clog2(DEPTH)-1:0] addr_i,
    input  wire [WIDTH-1:0]         wdata_i,
    // bit write mask: only bits set here are written
    input  wire [WIDTH-1:0]         wmask_i,
    /* read data, latency 1, held until the next read */
    output reg  [WIDTH-1:0]         rdata_o
);

    initial begin
        if (WIDTH < 1 || DEPTH < 2) begin
            $error("%m: WIDTH (%0d) must be >= 1 and DEPTH (%0d) >= 2", WIDTH, DEPTH);
            $finish;
        end
    end

    reg [WIDTH-1:0] mem_q [0:DEPTH-1];

    initial begin
        if (INIT_FILE != "") begin
            $readmemh(INIT_FILE, mem_q);
        end
    end

`ifndef SYNTHESIS
    // simulation-only bulk backdoor of mem_q (rtlsim/backdoor.py)
`include "spw_sram_backdoor.vh"
`endif

    // The array is deliberately not reset (synthesises to a RAM macro).
    always @(posedge clk_i) begin
        if (req_i) begin
            if (we_i) begin
                mem_q[addr_i] <= (mem_q[addr_i] & ~wmask_i) | (wdata_i & wmask_i);
            end else begin
                rdata_o <= mem_q[addr_i];
            end
        end
    end

endmodule

`default_nettype wire

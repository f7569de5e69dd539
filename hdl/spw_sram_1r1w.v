// SPDX-License-Identifier: Apache-2.0
// Dual-port (one read, one write) synchronous SRAM model with bit write mask.
`timescale 1ns / 1ps
`default_nettype none

// spw_sram_1r1w: an independent read port and write port on one array; used
// as each AMem bank (even / odd word addresses) so the aligner reads while
// the drain writes.
//
// Latency: a read (re_i) in cycle c presents rdata_o in cycle c+1; rdata_o
// HOLDS until the next read.  A write (we_i) in cycle c is visible to reads
// issued in cycle c+1 or later.
// Read-during-write: a read and a write of the SAME address in one cycle
// return the OLD word (read-before-write), as most two-port SRAM macros
// do; the sequencer must not rely on write-through.
// Assumptions: no reset on the array; contents start from INIT_FILE
// ($readmemh) when given; addresses < DEPTH.
module spw_sram_1r1w #(
    // bits per word
    parameter integer WIDTH = 32,
    // words in the array
    parameter integer DEPTH = 1024,
    // hex image loaded at time 0 with $readmemh; "" = none
    parameter INIT_FILE = ""
) (
    input  wire                     clk_i,
    /* read port: latency 1, data held until the next read */
    input  wire                     re_i,
    input  wire [$clog2(DEPTH)-1:0] raddr_i,
    output reg  [WIDTH-1:0]         rdata_o,
    /* write port: bit-masked */
    input  wire                     we_i,
    input  wire [$clog2(DEPTH)-1:0] waddr_i,
    input  wire [WIDTH-1:0]         wdata_i,
    input  wire [WIDTH-1:0]         wmask_i
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

    // Lowest and highest address written through the write port since the
    // testbench last set them to (all ones, 0): after a run it dumps only
    // that span, the rest of the array being what it loaded.  Set through
    // VPI, so not reset here.
    reg [31:0] bd_wlo;
    reg [31:0] bd_whi;
    always @(posedge clk_i) begin
        if (we_i) begin
            if ({{(32 - $clog2(DEPTH)){1'b0}}, waddr_i} < bd_wlo) begin
                bd_wlo <= {{(32 - $clog2(DEPTH)){1'b0}}, waddr_i};
            end
            if ({{(32 - $clog2(DEPTH)){1'b0}}, waddr_i} > bd_whi) begin
                bd_whi <= {{(32 - $clog2(DEPTH)){1'b0}}, waddr_i};
            end
        end
    end
`endif

    // Both ports use non-blocking assignments in one block, so a same-cycle
    // same-address read samples the array before the write lands (old data).
    always @(posedge clk_i) begin
        if (re_i) begin
            rdata_o <= mem_q[raddr_i];
        end
        if (we_i) begin
            mem_q[waddr_i] <= (mem_q[waddr_i] & ~wmask_i) | (wdata_i & wmask_i);
        end
    end

endmodule

`default_nettype wire
